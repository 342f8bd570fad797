package dev.vlm3d;

import dev.vlm3d.pipeline.cli.GenerateCommand;
import java.util.Arrays;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

@SpringBootApplication
public class Vlm3dApplication {

    /** {@code generate …} runs the CLI (no web server, no database); anything else starts the service. */
    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("generate")) {
            GenerateCommand.main(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        SpringApplication.run(Vlm3dApplication.class, args);
    }
}
