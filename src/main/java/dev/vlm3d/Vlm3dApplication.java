package dev.vlm3d;

import dev.vlm3d.nn.NativeHeap;
import dev.vlm3d.pipeline.cli.EvaluateCommand;
import dev.vlm3d.pipeline.cli.GenerateCommand;
import java.util.Arrays;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.webmvc.autoconfigure.error.ErrorMvcAutoConfiguration;

/**
 * The service. Spring Boot's /error page machinery is left out: API errors are problem+json from
 * {@code dev.vlm3d.api.ApiExceptionHandler}, and what never reaches Spring MVC is answered by the container's
 * {@code dev.vlm3d.api.ContainerProblemValve}, so there is no /error endpoint to call or to fail.
 */
@SpringBootApplication(exclude = ErrorMvcAutoConfiguration.class)
public class Vlm3dApplication {

    /**
     * {@code generate …} and {@code evaluate …} run the CLI (no web server, no database); anything else starts the
     * service. The native heap is set up first, before libtorch loads (see {@link NativeHeap}).
     */
    public static void main(String[] args) {
        NativeHeap.configure();
        if (args.length > 0 && args[0].equals("generate")) {
            GenerateCommand.main(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        if (args.length > 0 && args[0].equals("evaluate")) {
            EvaluateCommand.main(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        SpringApplication.run(Vlm3dApplication.class, args);
    }
}
