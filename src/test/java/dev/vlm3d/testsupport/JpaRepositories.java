package dev.vlm3d.testsupport;

import jakarta.persistence.EntityManagerFactory;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
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
    private volatile boolean closed;

    public JpaRepositories(DataSource dataSource) {
        context = new AnnotationConfigApplicationContext();
        context.registerBean(DataSource.class, () -> dataSource);
        context.register(Wiring.class);
        context.refresh();
    }

    /**
     * The repository, refusing every call once this is closed: a closed context would otherwise build Hibernate anew
     * over the closed pool on each call of a background thread a test left running (a metrics poller).
     */
    public <T> T get(Class<T> repository) {
        T target = context.getBean(repository);
        return repository.cast(Proxy.newProxyInstance(
                repository.getClassLoader(), new Class<?>[] {repository}, (proxy, method, args) -> {
                    if (closed) throw new IllegalStateException("the test's JPA repositories are closed");
                    try {
                        return method.invoke(target, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                }));
    }

    public EntityManagerFactory entityManagerFactory() {
        return context.getBean(EntityManagerFactory.class);
    }

    @Override
    public void close() {
        closed = true;
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
            factory.setJpaPropertyMap(
                    Map.of("hibernate.hbm2ddl.auto", "validate", "hibernate.generate_statistics", "true"));
            return factory;
        }

        @Bean
        JpaTransactionManager transactionManager(EntityManagerFactory entityManagerFactory) {
            return new JpaTransactionManager(entityManagerFactory);
        }
    }
}
