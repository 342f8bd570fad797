package dev.vlm3d.architecture;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import ai.djl.ndarray.NDManager;
import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaMethodCall;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The package rules of docs/architecture.md, checked on the main classes: each top-level package uses only the
 * packages listed for it (arrows point down), the numeric core knows no Spring, HTTP or SQL, the HTTP layer does not
 * reach the engine, the top-level packages form no cycle, and SQL is written by hand only where docs/architecture.md
 * ("Data access") says.
 */
class ArchitectureTest {

    private static final String BASE = "dev.vlm3d.";

    /** Top-level package → the other top-level packages it may use (docs/architecture.md, "Packages"). */
    static final Map<String, List<String>> MAY_USE = Map.ofEntries(
            Map.entry("api", List.of("jobs", "artifacts", "security", "options", "text", "webhooks")),
            Map.entry("console", List.of()),
            Map.entry("config", List.of("jobs", "artifacts")),
            Map.entry("pipeline", List.of("options", "worker", "engine", "evaluation", "models", "weights")),
            Map.entry("evaluation", List.of("engine", "models", "nn", "options")),
            Map.entry("worker", List.of("jobs", "artifacts")),
            Map.entry("security", List.of("jobs", "webhooks")),
            Map.entry("webhooks", List.of("jobs")),
            Map.entry("jobs", List.of()),
            Map.entry("artifacts", List.of()),
            Map.entry("options", List.of()),
            Map.entry("text", List.of()),
            Map.entry("engine", List.of("models", "nn", "text")),
            Map.entry("models", List.of("nn", "weights")),
            Map.entry("nn", List.of()),
            Map.entry("weights", List.of()));

    /** Packages that run from a plain main or a test as well as from a bean. */
    static final String[] FRAMEWORK_FREE = {
        "dev.vlm3d.engine..",
        "dev.vlm3d.models..",
        "dev.vlm3d.nn..",
        "dev.vlm3d.weights..",
        "dev.vlm3d.options..",
        "dev.vlm3d.text.."
    };

    static final String[] SPRING_HTTP_SQL = {
        "org.springframework..",
        "jakarta.servlet..",
        "jakarta.persistence..",
        "java.sql..",
        "javax.sql..",
        "org.postgresql..",
        "com.zaxxer..",
        "org.flywaydb.."
    };

    /**
     * The classes that pass SQL to a {@link JdbcClient} (docs/architecture.md, "Data access"); every other table
     * access goes through a Spring Data JPA repository, whose native queries are in the repository itself.
     */
    static final List<String> NATIVE_SQL = List.of(
            "dev.vlm3d.jobs.JobQueue",
            "dev.vlm3d.jobs.JobRepository",
            "dev.vlm3d.artifacts.ArtifactRows",
            "dev.vlm3d.artifacts.ExpirySweep",
            "dev.vlm3d.artifacts.CheckpointCleanup",
            "dev.vlm3d.webhooks.WebhookDeliveries",
            "dev.vlm3d.jobs.JobsConfiguration");

    private static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.vlm3d");
    }

    @Test
    void everyTopLevelPackageIsListed() {
        List<String> unlisted = new ArrayList<>();
        classes.stream()
                .map(c -> c.getPackageName())
                .filter(p -> p.startsWith(BASE))
                .map(p -> p.substring(BASE.length()).split("\\.")[0])
                .distinct()
                .filter(p -> !MAY_USE.containsKey(p))
                .forEach(unlisted::add);
        org.assertj.core.api.Assertions.assertThat(unlisted)
                .as("top-level packages without a rule in ArchitectureTest.MAY_USE (and docs/architecture.md)")
                .isEmpty();
    }

    @Test
    void arrowsPointDownOnly() {
        MAY_USE.forEach((pkg, allowed) -> {
            List<String> own =
                    new ArrayList<>(allowed.stream().map(p -> BASE + p + "..").toList());
            own.add(BASE + pkg + "..");
            classes()
                    .that()
                    .resideInAPackage(BASE + pkg + "..")
                    .should()
                    .onlyDependOnClassesThat(
                            resideOutsideOfPackage("dev.vlm3d..").or(resideInAnyPackage(own.toArray(String[]::new))))
                    .because(pkg + " may use only " + allowed + " (docs/architecture.md)")
                    .allowEmptyShould(true)
                    .check(classes);
        });
    }

    @Test
    void theNumericCoreKnowsNoSpringHttpOrSql() {
        noClasses()
                .that()
                .resideInAnyPackage(FRAMEWORK_FREE)
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(SPRING_HTTP_SQL)
                .because("the engine runs from a plain main or a test as well as from a worker bean")
                .check(classes);
    }

    @Test
    void theHttpLayerDoesNotReachTheEngine() {
        noClasses()
                .that()
                .resideInAPackage("dev.vlm3d.api..")
                .should()
                .dependOnClassesThat(resideInAnyPackage(
                                "dev.vlm3d.engine..",
                                "dev.vlm3d.models..",
                                "dev.vlm3d.nn..",
                                "dev.vlm3d.weights..",
                                "dev.vlm3d.pipeline..")
                        .or(resideInAPackage("ai.djl..")))
                .because("job options live in dev.vlm3d.options; the mapping to RunConfig stays in pipeline")
                .check(classes);
    }

    @Test
    void sqlIsWrittenByHandOnlyInTheListedClasses() {
        noClasses()
                .that(DescribedPredicate.describe(
                        "are not listed in NATIVE_SQL",
                        (JavaClass c) -> !NATIVE_SQL.contains(c.getName().replaceAll("\\$.*", ""))))
                .should()
                .callMethod(JdbcClient.class, "sql", String.class)
                .because("tables are read and written through the JPA repositories except where docs/architecture.md "
                        + "(\"Data access\") keeps native SQL")
                .check(classes);
    }

    @Test
    void hostDataBecomesATensorOnlyThroughHostArrays() {
        DescribedPredicate<JavaMethodCall> createFromJavaData = DescribedPredicate.describe(
                "NDManager.create from a Java array or number",
                call -> call.getTargetOwner().isAssignableTo(NDManager.class)
                        && call.getName().equals("create")
                        && !call.getTarget().getRawParameterTypes().isEmpty()
                        && (call.getTarget().getRawParameterTypes().get(0).isArray()
                                || call.getTarget()
                                        .getRawParameterTypes()
                                        .get(0)
                                        .isPrimitive()));
        noClasses()
                .that()
                .doNotHaveFullyQualifiedName("dev.vlm3d.nn.HostArrays")
                .should()
                .callMethodWhere(createFromJavaData)
                .because("DJL stages such data in direct buffers that only the garbage collector frees, and on the CPU "
                        + "the tensor keeps pointing at them (dev.vlm3d.nn.HostArrays)")
                .check(classes);
    }

    @Test
    void topLevelPackagesFormNoCycle() {
        slices().matching("dev.vlm3d.(*)..").should().beFreeOfCycles().check(classes);
    }

    @Test
    void engineSubpackagesKeepTheirOrder() {
        // the field knows nothing of rendering, guidance or reward; rendering nothing of guidance or reward
        noClasses()
                .that()
                .resideInAPackage("dev.vlm3d.engine.field..")
                .should()
                .dependOnClassesThat(resideInAnyPackage(
                        "dev.vlm3d.engine.render..",
                        "dev.vlm3d.engine.guidance..",
                        "dev.vlm3d.engine.reward..",
                        "dev.vlm3d.engine.export.."))
                .check(classes);
        noClasses()
                .that()
                .resideInAPackage("dev.vlm3d.engine.render..")
                .should()
                .dependOnClassesThat(resideInAnyPackage(
                        "dev.vlm3d.engine.guidance..", "dev.vlm3d.engine.reward..", "dev.vlm3d.engine.export.."))
                .check(classes);
        noClasses()
                .that(not(resideInAPackage("dev.vlm3d.engine..")))
                .and()
                .resideInAPackage("dev.vlm3d.models..")
                .should()
                .dependOnClassesThat(resideInAPackage("dev.vlm3d.engine.."))
                .check(classes);
    }
}
