package dev.vlm3d.api;

import dev.vlm3d.artifacts.ArtifactStore;
import dev.vlm3d.artifacts.RetentionProperties;
import dev.vlm3d.jobs.JobNotificationListener;
import dev.vlm3d.jobs.JobRepository;
import dev.vlm3d.jobs.QueueEstimates;
import dev.vlm3d.security.ApiKeyService;
import dev.vlm3d.security.ApiPrincipal;
import dev.vlm3d.webhooks.WebhookDeliveries;
import dev.vlm3d.webhooks.WebhookProperties;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.List;
import java.util.Map;
import org.apache.catalina.core.StandardHost;
import org.slf4j.MDC;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.MethodParameter;
import org.springframework.http.HttpStatus;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.bind.support.WebDataBinderFactory;
import org.springframework.web.context.request.NativeWebRequest;
import org.springframework.web.method.support.HandlerMethodArgumentResolver;
import org.springframework.web.method.support.ModelAndViewContainer;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.HandlerMapping;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;
import tools.jackson.databind.json.JsonMapper;

/** HTTP wiring: the body-size filter, problem+json for the container's own rejections, the principal argument, the API's services. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(ApiProperties.class)
class ApiConfiguration implements WebMvcConfigurer {

    @Bean
    FilterRegistrationBean<RequestLimitFilter> requestLimitFilter(ApiProperties properties) {
        FilterRegistrationBean<RequestLimitFilter> registration =
                new FilterRegistrationBean<>(new RequestLimitFilter(properties.maxBodyBytes()));
        registration.setOrder(-90);
        return registration;
    }

    /** The container's own rejections (and any error without a body) as problem+json instead of HTML. */
    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> containerProblems() {
        // the context is already a child of its host here, and the host is not started: its error valve is still unset
        return factory -> factory.addContextCustomizers(context ->
                ((StandardHost) context.getParent()).setErrorReportValveClass(ContainerProblemValve.class.getName()));
    }

    @Bean
    QueueEstimates queueEstimates(JobRepository jobs, ApiProperties properties) {
        return new QueueEstimates(jobs, properties.queueEstimateMaxAge());
    }

    @Bean
    JobViews jobViews(JobRepository jobs, ArtifactStore artifacts, QueueEstimates estimates) {
        return new JobViews(jobs, artifacts, estimates);
    }

    @Bean
    JobService jobService(
            JobRepository jobs,
            QueueEstimates estimates,
            ArtifactStore artifacts,
            ApiProperties properties,
            RetentionProperties retention,
            JsonMapper json,
            MeterRegistry meters,
            ApiKeyService keys,
            WebhookProperties webhooks,
            WebhookDeliveries deliveries) {
        return new JobService(
                jobs, estimates, artifacts, properties, retention, json, meters, keys, webhooks, deliveries);
    }

    @Bean(destroyMethod = "close")
    JobEventHub jobEventHub(
            JobRepository jobs, JobViews views, ApiProperties properties, JobNotificationListener notifications) {
        return new JobEventHub(jobs, views, properties, notifications);
    }

    /** Request log lines about one job carry its id, like the worker's lines do. */
    @Override
    public void addInterceptors(InterceptorRegistry registry) {
        registry.addInterceptor(new HandlerInterceptor() {
                    @Override
                    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
                        Object variables = request.getAttribute(HandlerMapping.URI_TEMPLATE_VARIABLES_ATTRIBUTE);
                        if (variables instanceof Map<?, ?> map
                                && map.get("id") instanceof String id
                                && request.getRequestURI().startsWith("/jobs/")) {
                            MDC.put("job_id", id);
                        }
                        return true;
                    }

                    @Override
                    public void afterCompletion(
                            HttpServletRequest request, HttpServletResponse response, Object handler, Exception ex) {
                        MDC.remove("job_id");
                    }
                })
                .addPathPatterns("/jobs/**");
    }

    @Override
    public void addArgumentResolvers(List<HandlerMethodArgumentResolver> resolvers) {
        resolvers.add(new HandlerMethodArgumentResolver() {
            @Override
            public boolean supportsParameter(MethodParameter parameter) {
                return parameter.getParameterType() == ApiPrincipal.class;
            }

            @Override
            public Object resolveArgument(
                    MethodParameter parameter,
                    ModelAndViewContainer mav,
                    NativeWebRequest request,
                    WebDataBinderFactory binderFactory) {
                Authentication authentication =
                        SecurityContextHolder.getContext().getAuthentication();
                Object principal = authentication == null ? null : authentication.getPrincipal();
                if (!(principal instanceof ApiPrincipal)) {
                    throw new ApiException(HttpStatus.UNAUTHORIZED, "UNAUTHENTICATED", "an API key is required");
                }
                return principal;
            }
        });
    }
}
