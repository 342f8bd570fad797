package dev.vlm3d.testsupport;

import jakarta.persistence.EntityManagerFactory;
import java.util.Map;
import javax.sql.DataSource;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.jpa.repository.config.EnableJpaRepositories;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.orm.jpa.LocalContainerEntityManagerFactoryBean;
import org.springframework.orm.jpa.vendor.HibernateJpaVendorAdapter;

/**
 * The service's Spring Data JPA repositories over a test schema, without the application: Hibernate over the given
 * data source, validating the entities against the migrated schema as {@code spring.jpa.hibernate.ddl-auto=validate}
 * does in the service, and a JPA transaction manager as Spring Boot configures it.
 */
public final class JpaRepositories implements AutoCloseable {

    private final AnnotationConfigApplicationContext context;

    public JpaRepositories(DataSource dataSource) {
        context = new AnnotationConfigApplicationContext();
        context.registerBean(DataSource.class, () -> dataSource);
        context.register(Wiring.class);
        context.refresh();
    }

    public <T> T get(Class<T> repository) {
        return context.getBean(repository);
    }

    public EntityManagerFactory entityManagerFactory() {
        return context.getBean(EntityManagerFactory.class);
    }

    @Override
    public void close() {
        context.close();
    }

    @Configuration(proxyBeanMethods = false)
    @EnableJpaRepositories(basePackages = "dev.vlm3d")
    static class Wiring {

        @Bean
        LocalContainerEntityManagerFactoryBean entityManagerFactory(DataSource dataSource) {
            LocalContainerEntityManagerFactoryBean factory = new LocalContainerEntityManagerFactoryBean();
            factory.setDataSource(dataSource);
            factory.setPackagesToScan("dev.vlm3d");
            factory.setJpaVendorAdapter(new HibernateJpaVendorAdapter());
            factory.setJpaPropertyMap(Map.of("hibernate.hbm2ddl.auto", "validate",
                    "hibernate.generate_statistics", "true"));
            return factory;
        }

        @Bean
        JpaTransactionManager transactionManager(EntityManagerFactory entityManagerFactory) {
            return new JpaTransactionManager(entityManagerFactory);
        }
    }
}
