package dev.vlm3d.console;

import static dev.vlm3d.testsupport.ContractClient.get;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm3d.testsupport.ContractClient;
import dev.vlm3d.testsupport.TestDatabase;
import java.awt.image.BufferedImage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * The web console in a real headless Chromium against the real service (tiny random models, PostgreSQL): the key
 * entered on the page, a prompt submitted, progress followed over the job's event stream to SUCCEEDED, the curves,
 * the GLB drawn by the 3D viewer (checked on the pixels of a screenshot), the renders, run.json, a download, a
 * second job cancelled from the list, the API's field errors beside the fields, the messages for a missing or wrong
 * key, the key screen, and Swagger UI on the served contract. Screenshots of each screen go to
 * target/console-screenshots.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "vlm3d.security.admin-key=" + WebConsoleBrowserTest.ADMIN,
            "vlm3d.worker.enabled=true",
            "vlm3d.worker.count=1",
            "vlm3d.worker.devices=cpu",
            "vlm3d.models.cpu-threads=1",
            "vlm3d.queue.poll-interval=1s"
        })
@DirtiesContext
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WebConsoleBrowserTest {

    static final String ADMIN = "console-browser-admin-key-0123456789";
    private static final int STEPS = 4;
    private static final Duration RUN_TIMEOUT = Duration.ofMinutes(5);
    private static final Path DOWNLOADS = Path.of("target", "console-downloads").toAbsolutePath();

    private static ChromeDriver browser;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        TestDatabase.register(registry, TestDatabase.freshSchema(WebConsoleBrowserTest.class));
        registry.add(
                "vlm3d.models.cache-dir",
                () -> Path.of("target/vlm3d-cache").toAbsolutePath().toString());
    }

    @LocalServerPort
    int port;

    @BeforeAll
    static void startBrowser() throws Exception {
        Files.createDirectories(DOWNLOADS);
        browser = HeadlessChromium.start(DOWNLOADS);
    }

    @AfterAll
    static void stopBrowser() {
        if (browser != null) browser.quit();
    }

    /** Every test starts on a fresh console without a key. */
    @BeforeEach
    void freshPage() {
        browser.get(base() + "/");
        js("sessionStorage.clear(); localStorage.clear();");
        browser.get(base() + "/#/submit");
        browser.navigate().refresh();
        waitFor(Duration.ofSeconds(20), () -> "no key".equals(text("auth-state")));
    }

    @Test
    @Order(1)
    void withoutAKeyOrWithAWrongOneThePageSaysSo() {
        browser.get(base() + "/#/jobs");
        waitFor(
                Duration.ofSeconds(10),
                () -> browser.findElement(By.id("banner")).isDisplayed());
        assertThat(text("banner")).contains("Enter an API key");
        assertThat(browser.findElement(By.id("screen-jobs")).isDisplayed()).isTrue();
        HeadlessChromium.screenshot(browser, "01-no-key");

        signIn("vlm3d_not-a-real-key");
        waitFor(Duration.ofSeconds(10), () -> text("banner").contains("refused"));
        assertThat(text("banner")).contains("The API key was refused").contains("unknown or revoked");
        // a refused key is not kept
        assertThat(js("return sessionStorage.getItem('vlm3d.apiKey')")).isNull();
        assertThat(text("auth-state")).isEqualTo("no key");
        HeadlessChromium.screenshot(browser, "02-wrong-key");
    }

    @Test
    @Order(2)
    void aBadOptionShowsTheApisErrorNextToItsField() {
        signInValid(ADMIN);
        browser.findElement(By.id("f-prompt")).sendKeys("a red apple");
        browser.findElement(By.id("f-lvs")).sendKeys("20000");
        browser.findElement(By.id("f-steps")).sendKeys("0");
        browser.findElement(By.id("submit-button")).click();
        WebElement lambdaError = browser.findElement(By.cssSelector("[data-error-for='options.lambda_vlm_start']"));
        WebElement stepsError = browser.findElement(By.cssSelector("[data-error-for='steps']"));
        waitFor(Duration.ofSeconds(10), () -> lambdaError.isDisplayed() || stepsError.isDisplayed());
        // the API reports the first invalid field it meets; fix it and submit again to get the next one
        if (stepsError.isDisplayed()) {
            assertThat(stepsError.getText()).contains("steps").contains("INVALID_FIELD");
            assertThat(browser.findElement(By.id("f-steps")).getAttribute("class"))
                    .contains("invalid");
            browser.findElement(By.id("f-steps")).clear();
            browser.findElement(By.id("submit-button")).click();
            waitFor(Duration.ofSeconds(10), () -> lambdaError.isDisplayed());
        }
        assertThat(lambdaError.getText())
                .contains("lambda_vlm_start")
                .contains("10000")
                .contains("INVALID_FIELD");
        assertThat(browser.findElement(By.id("f-lvs")).getAttribute("class")).contains("invalid");
        // the element right after the input, inside the same field: next to it
        WebElement field = browser.findElement(By.id("f-lvs")).findElement(By.xpath(".."));
        assertThat(field.findElements(By.cssSelector("[data-error-for='options.lambda_vlm_start']")))
                .hasSize(1);
        assertThat(browser.getCurrentUrl()).endsWith("#/submit");
        HeadlessChromium.screenshot(browser, "03-field-error");
    }

    @Test
    @Order(3)
    void aPromptRunsLiveOverSseToAnAssetShownIn3dAndASecondJobIsCancelledFromTheList() throws Exception {
        signInValid(ADMIN);
        browser.findElement(By.id("f-prompt")).sendKeys("a red apple");
        new Select(browser.findElement(By.id("f-preset"))).selectByValue("preview");
        browser.findElement(By.id("f-steps")).sendKeys(String.valueOf(STEPS));
        browser.findElement(By.id("f-seed")).sendKeys("5");
        browser.findElement(By.id("f-idem-new")).click();
        HeadlessChromium.screenshot(browser, "04-submit");
        browser.findElement(By.id("submit-button")).click();
        waitFor(Duration.ofSeconds(20), () -> browser.getCurrentUrl().contains("#/job/"));
        String jobId = browser.getCurrentUrl().replaceAll(".*#/job/", "");

        // ---- live: sample the progress bar and the chart until the job has finished
        WebElement progress = browser.findElement(By.id("job-progress"));
        TreeSet<Integer> stepsSeen = new TreeSet<>();
        TreeSet<Integer> pointsWhileRunning = new TreeSet<>();
        boolean runningShot = false;
        long deadline = System.nanoTime() + RUN_TIMEOUT.toNanos();
        String status = "";
        while (System.nanoTime() < deadline) {
            @SuppressWarnings("unchecked")
            Map<String, Object> state = (Map<String, Object>) js("""
                    const p = document.getElementById('job-progress');
                    return {status: document.getElementById('screen-job').dataset.status || '', value: p.value, max: p.max,
                            points: Number(document.getElementById('curves-chart').dataset.points || 0)};""");
            status = (String) state.get("status");
            int value = ((Number) state.get("value")).intValue();
            stepsSeen.add(value);
            if ("RUNNING".equals(status)) {
                pointsWhileRunning.add(((Number) state.get("points")).intValue());
                if (!runningShot && value > 0 && value < STEPS) {
                    HeadlessChromium.screenshot(browser, "05-job-running");
                    runningShot = true;
                }
            }
            if (Set.of("SUCCEEDED", "FAILED", "CANCELLED").contains(status)) break;
            Thread.sleep(50);
        }
        assertThat(status).as(text("job-events")).isEqualTo("SUCCEEDED");
        assertThat(progress.getAttribute("max")).isEqualTo(String.valueOf(STEPS));
        assertThat(progress.getAttribute("value")).isEqualTo(String.valueOf(STEPS));
        // the bar moved through the run, not from 0 straight to the end
        assertThat(stepsSeen).as("progress values seen").anyMatch(v -> v > 0 && v < STEPS);
        assertThat(pointsWhileRunning).as("curve points drawn while running").anyMatch(p -> p > 0 && p < STEPS);
        int sseEvents =
                Integer.parseInt(browser.findElement(By.id("screen-job")).getAttribute("data-sse-events"));
        assertThat(sseEvents).as("job snapshots read from the event stream").isGreaterThanOrEqualTo(3);
        assertThat(text("job-progress-text")).contains("step " + STEPS + " / " + STEPS);
        assertThat(text("job-events")).contains("RUNNING → SUCCEEDED");

        // ---- curves: one point per step, the stored series
        waitFor(
                Duration.ofSeconds(20),
                () -> String.valueOf(STEPS)
                        .equals(browser.findElement(By.id("curves-chart")).getAttribute("data-points")));
        ContractClient api = new ContractClient(port);
        JsonNode series =
                api.send(get("/jobs/" + jobId + "/metrics").token(ADMIN)).json().get("steps");
        @SuppressWarnings("unchecked")
        Map<String, List<Object>> chart = (Map<String, List<Object>>) js("""
                const c = Chart.getChart(document.getElementById('curves-chart'));
                const out = {labels: c.data.labels};
                c.data.datasets.forEach(d => out[d.label] = d.data);
                return out;""");
        assertThat(chart.get("labels")).hasSize(STEPS);
        for (int i = 0; i < STEPS; i++) {
            JsonNode metrics = series.get(i).get("metrics");
            assertThat(((Number) chart.get("labels").get(i)).intValue()).isEqualTo(i + 1);
            assertThat(((Number) chart.get("total loss").get(i)).doubleValue())
                    .isEqualTo(metrics.get("total_loss").doubleValue());
            assertThat(((Number) chart.get("reward").get(i)).doubleValue())
                    .isEqualTo(metrics.get("reward").doubleValue());
            assertThat(((Number) chart.get("λ_VLM").get(i)).doubleValue())
                    .isEqualTo(metrics.get("lambda_vlm").doubleValue());
        }
        assertThat(browser.findElement(By.id("job-metrics")).getText())
                .contains("reward")
                .contains("sds_loss");

        // ---- the 3D viewer: the GLB is loaded and drawn
        WebElement canvas = browser.findElement(By.id("viewer"));
        waitFor(Duration.ofSeconds(60), () -> "true".equals(canvas.getAttribute("data-loaded")));
        assertThat(Integer.parseInt(canvas.getAttribute("data-triangles"))).isPositive();
        js("arguments[0].scrollIntoView({block: 'center'})", canvas);
        HeadlessChromium.screenshot(browser, "06-result-viewer");
        BufferedImage shaded = HeadlessChromium.image(canvas);
        int background = 0x20242c;
        assertThat(corner(shaded)).as("background colour").isEqualTo(background);
        double covered = fractionUnlike(shaded, background);
        assertThat(covered).as("share of the canvas the model covers").isBetween(0.02, 0.95);
        assertThat(distinctColours(shaded)).as("shading, not a flat silhouette").isGreaterThan(20);

        // normals, wireframe, background colour and orbit change the picture
        browser.findElement(By.id("viewer-normals")).click();
        BufferedImage normals = HeadlessChromium.image(canvas);
        assertThat(differingPixels(shaded, normals)).as("normals view").isGreaterThan(100);
        browser.findElement(By.id("viewer-normals")).click();
        browser.findElement(By.id("viewer-wireframe")).click();
        BufferedImage wire = HeadlessChromium.image(canvas);
        assertThat(differingPixels(shaded, wire)).as("wireframe view").isGreaterThan(100);
        browser.findElement(By.id("viewer-wireframe")).click();
        js("const i = document.getElementById('viewer-background'); i.value = '#ffffff';"
                + " i.dispatchEvent(new Event('input'));");
        assertThat(corner(HeadlessChromium.image(canvas)) & 0xffffff)
                .as("new background")
                .isEqualTo(0xffffff);
        js("const i = document.getElementById('viewer-background'); i.value = '#20242c';"
                + " i.dispatchEvent(new Event('input'));");
        new Actions(browser)
                .moveToElement(canvas)
                .clickAndHold()
                .moveByOffset(120, 30)
                .release()
                .perform();
        assertThat(differingPixels(shaded, HeadlessChromium.image(canvas)))
                .as("orbit")
                .isGreaterThan(100);

        // ---- renders, turntable, run.json, downloads
        waitFor(Duration.ofSeconds(30), () -> (Boolean) js("""
                const imgs = [...document.querySelectorAll('#gallery img')];
                return imgs.length > 0 && imgs.every(i => i.complete && i.naturalWidth > 0)
                    && document.getElementById('turntable').naturalWidth > 0;"""));
        List<String> gallery = browser.findElements(By.cssSelector("#gallery img")).stream()
                .map(i -> i.getAttribute("data-artifact"))
                .toList();
        assertThat(gallery).contains("render_rgb_000.png", "render_normal_000.png");
        assertThat(browser.findElement(By.id("gallery"))
                        .findElement(By.tagName("img"))
                        .getAttribute("src"))
                .startsWith("blob:");
        assertThat(browser.findElement(By.id("run-summary")).getText())
                .contains("models.mode tiny-random")
                .contains("prompt a red apple");
        List<String> downloads = browser.findElements(By.cssSelector("#downloads a")).stream()
                .map(WebElement::getText)
                .toList();
        assertThat(downloads)
                .contains("model.glb", "model.obj", "turntable.gif", "curves.json", "curves.csv", "run.json");
        Files.deleteIfExists(DOWNLOADS.resolve("model.obj"));
        browser.findElement(By.cssSelector("#downloads a[data-artifact='model.obj']"))
                .click();
        byte[] obj = api.send(get("/jobs/" + jobId + "/artifacts/model.obj").token(ADMIN))
                .body();
        waitFor(
                Duration.ofSeconds(20),
                () -> Files.exists(DOWNLOADS.resolve("model.obj"))
                        && sizeOf(DOWNLOADS.resolve("model.obj")) == obj.length);
        assertThat(Files.readAllBytes(DOWNLOADS.resolve("model.obj"))).isEqualTo(obj);
        js("document.getElementById('gallery').scrollIntoView()");
        HeadlessChromium.screenshot(browser, "07-result-renders");

        // ---- the key went only into headers: not into any URL the page requested, nor its address, nor localStorage
        @SuppressWarnings("unchecked")
        List<String> urls = (List<String>)
                js("return performance.getEntriesByType('resource').map(e => e.name)" + ".concat([location.href])");
        assertThat(urls).isNotEmpty().noneMatch(u -> u.contains(ADMIN));
        assertThat(js("return JSON.stringify(localStorage)")).isEqualTo("{}");

        // ---- a second job, cancelled from the jobs list
        browser.get(base() + "/#/submit");
        browser.findElement(By.id("f-prompt")).clear();
        browser.findElement(By.id("f-prompt")).sendKeys("a blue teapot");
        new Select(browser.findElement(By.id("f-preset"))).selectByValue("preview");
        browser.findElement(By.id("submit-button")).click();
        waitFor(Duration.ofSeconds(20), () -> browser.getCurrentUrl().contains("#/job/"));
        String second = browser.getCurrentUrl().replaceAll(".*#/job/", "");
        browser.get(base() + "/#/jobs");
        By cancel = By.cssSelector("tr[data-job-id='" + second + "'] button[data-action='cancel']");
        waitFor(Duration.ofSeconds(20), () -> !browser.findElements(cancel).isEmpty());
        browser.findElement(cancel).click();
        By secondStatus = By.cssSelector("tr[data-job-id='" + second + "'] td.job-status");
        waitFor(
                Duration.ofSeconds(90),
                () -> browser.findElements(secondStatus).stream()
                        .anyMatch(e -> e.getText().equals("CANCELLED")));
        assertThat(api.send(get("/jobs/" + second).token(ADMIN))
                        .json()
                        .get("status")
                        .stringValue())
                .isEqualTo("CANCELLED");
        assertThat(browser.findElement(By.cssSelector("tr[data-job-id='" + jobId + "'] td.job-status"))
                        .getText())
                .isEqualTo("SUCCEEDED");
        HeadlessChromium.screenshot(browser, "08-jobs");
    }

    @Test
    @Order(4)
    void anAdminCreatesAndRevokesAKeyOnTheKeyScreen() {
        signInValid(ADMIN);
        browser.get(base() + "/#/keys");
        browser.findElement(By.id("k-name")).sendKeys("design-tool");
        browser.findElement(By.id("k-cap")).sendKeys("5");
        browser.findElement(By.cssSelector("#key-form button[type='submit']")).click();
        waitFor(
                Duration.ofSeconds(10),
                () -> browser.findElement(By.id("key-created")).isDisplayed());
        String token = text("key-token");
        assertThat(token).startsWith("vlm3d_");
        By row = By.xpath("//tbody[@id='keys-body']/tr[td[1]='design-tool']");
        waitFor(Duration.ofSeconds(10), () -> !browser.findElements(row).isEmpty());
        HeadlessChromium.screenshot(browser, "09-keys");

        // the new key works, and is not an admin: the key screen says so
        signIn(token);
        waitFor(Duration.ofSeconds(10), () -> text("banner").contains("admin"));
        assertThat(text("banner")).contains("This needs an admin key");

        signInValid(ADMIN);
        waitFor(Duration.ofSeconds(10), () -> !browser.findElements(row).isEmpty());
        browser.findElement(row).findElement(By.tagName("button")).click();
        browser.switchTo().alert().accept();
        waitFor(
                Duration.ofSeconds(10),
                () -> !browser.findElement(row)
                        .findElement(By.xpath("td[6]"))
                        .getText()
                        .isEmpty());
        assertThat(new ContractClient(port).send(get("/jobs").token(token)).status())
                .isEqualTo(401);
    }

    @Test
    @Order(5)
    void docsRenderTheServedContractWhichIsOpenapiYamlAsCheckedIn() throws Exception {
        HttpResponse<byte[]> spec = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(base() + "/openapi.yaml"))
                                .build(),
                        HttpResponse.BodyHandlers.ofByteArray());
        assertThat(spec.statusCode()).isEqualTo(200);
        assertThat(spec.body()).isEqualTo(Files.readAllBytes(Path.of("openapi.yaml")));
        // CORS is off by default (no vlm3d.cors.allowed-origins here): a preflight gets no allow header
        HttpResponse<String> preflight = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(base() + "/jobs"))
                                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                                .header("Origin", "https://tools.example.internal")
                                .header("Access-Control-Request-Method", "GET")
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin"))
                .isEmpty();

        browser.get(base() + "/docs");
        waitFor(
                Duration.ofSeconds(30),
                () -> !browser.findElements(By.cssSelector(".swagger-ui .info .title"))
                        .isEmpty());
        assertThat(browser.findElement(By.cssSelector(".swagger-ui .info .title"))
                        .getText())
                .contains("VLM3D Server");
        waitFor(
                Duration.ofSeconds(10),
                () -> browser.findElements(By.cssSelector(".opblock")).size() >= 14);
        List<String> operations = new ArrayList<>();
        browser.findElements(By.cssSelector(".opblock .opblock-summary-path"))
                .forEach(e -> operations.add(e.getText()));
        assertThat(operations)
                .contains("/jobs", "/jobs/{id}", "/jobs/{id}/events", "/jobs/{id}/artifacts/{name}", "/api-keys");
        assertThat(browser.findElements(By.cssSelector(".swagger-ui .errors-wrapper")))
                .isEmpty();
        HeadlessChromium.screenshot(browser, "10-docs");

        // "Try it out" reaches this service (the contract's example server is localhost:8080) with the key
        js("window.ui.preauthorizeApiKey('bearerAuth', arguments[0])", ADMIN);
        WebElement listJobs = browser.findElement(By.id("operations-jobs-listJobs"));
        listJobs.findElement(By.cssSelector(".opblock-summary")).click();
        waitFor(
                Duration.ofSeconds(10),
                () -> !listJobs.findElements(By.cssSelector(".try-out__btn")).isEmpty());
        listJobs.findElement(By.cssSelector(".try-out__btn")).click();
        waitFor(
                Duration.ofSeconds(10),
                () -> !listJobs.findElements(By.cssSelector(".execute")).isEmpty());
        listJobs.findElement(By.cssSelector(".execute")).click();
        By liveStatus = By.cssSelector(".live-responses-table tbody .response-col_status");
        waitFor(
                Duration.ofSeconds(20),
                () -> listJobs.findElements(liveStatus).stream()
                        .anyMatch(e -> e.getText().matches("\\d{3}.*")));
        assertThat(listJobs.findElement(liveStatus).getText()).startsWith("200");
        assertThat(listJobs.findElement(By.cssSelector(".request-url")).getText())
                .contains(base() + "/jobs");
        js("arguments[0].scrollIntoView()", listJobs);
        HeadlessChromium.screenshot(browser, "11-docs-try-it-out");
        assertThat(listJobs.findElement(By.cssSelector(".live-responses-table")).getText())
                .contains("a red apple");
    }

    // ------------------------------------------------------------------ helpers

    private String base() {
        return "http://127.0.0.1:" + port;
    }

    private void signIn(String key) {
        WebElement input = browser.findElement(By.id("api-key"));
        input.clear();
        input.sendKeys(key);
        browser.findElement(By.id("sign-in")).click();
    }

    /** Signs in with a key the service accepts: the page checks it once and shows that it uses it. */
    private void signInValid(String key) {
        signIn(key);
        waitFor(
                Duration.ofSeconds(10),
                () -> text("auth-state").startsWith("using")
                        && js("return document" + ".getElementById('banner').hidden") == Boolean.TRUE);
    }

    private String text(String id) {
        return browser.findElement(By.id(id)).getText();
    }

    private Object js(String script, Object... args) {
        return ((JavascriptExecutor) browser).executeScript(script, args);
    }

    private static void waitFor(Duration timeout, java.util.function.BooleanSupplier condition) {
        // pages re-render lists: an element found a moment ago may be replaced while it is read
        new WebDriverWait(browser, timeout, Duration.ofMillis(100))
                .ignoring(StaleElementReferenceException.class)
                .until(d -> condition.getAsBoolean());
    }

    private static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (java.io.IOException e) {
            return -1;
        }
    }

    private static int corner(BufferedImage image) {
        return image.getRGB(2, 2) & 0xffffff;
    }

    private static boolean unlike(int a, int b) {
        for (int shift = 0; shift <= 16; shift += 8) {
            if (Math.abs(((a >> shift) & 0xff) - ((b >> shift) & 0xff)) > 12) return true;
        }
        return false;
    }

    private static double fractionUnlike(BufferedImage image, int colour) {
        long n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if (unlike(image.getRGB(x, y) & 0xffffff, colour)) n++;
            }
        }
        return n / (double) (image.getWidth() * image.getHeight());
    }

    private static int distinctColours(BufferedImage image) {
        java.util.HashSet<Integer> colours = new java.util.HashSet<>();
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) colours.add(image.getRGB(x, y) & 0xffffff);
        }
        return colours.size();
    }

    private static long differingPixels(BufferedImage a, BufferedImage b) {
        long n = 0;
        for (int y = 0; y < Math.min(a.getHeight(), b.getHeight()); y++) {
            for (int x = 0; x < Math.min(a.getWidth(), b.getWidth()); x++) {
                if (unlike(a.getRGB(x, y) & 0xffffff, b.getRGB(x, y) & 0xffffff)) n++;
            }
        }
        return n;
    }
}
