package dev.vlm3d.console;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import javax.imageio.ImageIO;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * A real headless Chromium driven through chromedriver: Debian's {@code chromium} and {@code chromium-driver}
 * packages, which .ci/run installs. Nothing is downloaded (no Selenium Manager): both binaries are named here.
 * WebGL runs on SwiftShader, Chromium's CPU implementation, so the 3D viewer draws without a GPU.
 */
final class HeadlessChromium {

    static final Path SCREENSHOTS = Path.of("target", "console-screenshots");
    private static final Path BROWSER = find("vlm3d.test.chromium", "chromium", "chromium-browser", "google-chrome");
    private static final Path DRIVER = find("vlm3d.test.chromedriver", "chromedriver");

    private HeadlessChromium() {}

    /** The system property's path if set, else the first of the names on the PATH (Debian: /usr/bin/chromium). */
    private static Path find(String property, String... names) {
        String configured = System.getProperty(property);
        if (configured != null && !configured.isBlank()) return Path.of(configured);
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(java.io.File.pathSeparator)) {
            for (String name : names) {
                Path candidate = Path.of(dir, name);
                if (Files.isExecutable(candidate)) return candidate;
            }
        }
        return Path.of("/usr/bin", names[0]);
    }

    static ChromeDriver start(Path downloads) {
        if (!Files.isExecutable(BROWSER) || !Files.isExecutable(DRIVER)) {
            // a failure, not a skip: the console's tests are part of the suite
            throw new IllegalStateException("the browser tests need Chromium and its driver at " + BROWSER + " and "
                    + DRIVER + ": apt-get install -y chromium chromium-driver (what .ci/run does)");
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary(BROWSER.toFile());
        options.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-dev-shm-usage",
                "--window-size=1400,1900",
                "--use-angle=swiftshader",
                "--enable-unsafe-swiftshader",
                "--hide-scrollbars",
                "--force-device-scale-factor=1",
                "--no-first-run",
                "--disable-extensions",
                "--disable-background-networking",
                "--disable-sync");
        options.setExperimentalOption(
                "prefs",
                Map.of(
                        "download.default_directory",
                        downloads.toAbsolutePath().toString(),
                        "download.prompt_for_download",
                        false));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(DRIVER.toFile())
                .usingAnyFreePort()
                .build();
        ChromeDriver driver = new ChromeDriver(service, options);
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
        return driver;
    }

    /** Saves a screenshot of the viewport under target/console-screenshots and returns its file. */
    static Path screenshot(TakesScreenshot source, String name) {
        try {
            Files.createDirectories(SCREENSHOTS);
            Path file = SCREENSHOTS.resolve(name + ".png");
            Files.write(file, source.getScreenshotAs(OutputType.BYTES));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static BufferedImage image(TakesScreenshot source) {
        try {
            return ImageIO.read(new ByteArrayInputStream(source.getScreenshotAs(OutputType.BYTES)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
