package dev.vlm3d;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

@SpringBootApplication
public class Vlm3dApplication {

    public static void main(String[] args) {
        SpringApplication.run(Vlm3dApplication.class, args);
    }
}
