package io.pgjobs.spring.boot;

import io.pgjobs.Scheduler;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Map;
import org.springframework.beans.factory.FactoryBean;
import org.springframework.util.ClassUtils;

/**
 * pgjobs' health as a Spring Boot 3.5 health contributor: an {@code org.springframework.boot.actuate.health
 * .HealthIndicator}, the interface Boot 4 moved (to {@code org.springframework.boot.health.contributor}). This
 * jar is compiled against Boot 4, where Boot 3.5's interface does not exist, so the indicator implements it at
 * run time (a {@link Proxy}) and builds Boot 3.5's {@code Health} by name; the factory declares the interface as
 * its type, so Actuator finds it among the contributors before it is created. spring-boot/boot3-test checks it
 * on Boot 3.5 ({@code Boot3HealthTest}).
 */
final class Boot3HealthIndicator implements FactoryBean<Object> {
    static final String INDICATOR = "org.springframework.boot.actuate.health.HealthIndicator";
    private static final String HEALTH = "org.springframework.boot.actuate.health.Health";

    private final Scheduler scheduler;
    private final ClassLoader classLoader;

    Boot3HealthIndicator(Scheduler scheduler, ClassLoader classLoader) {
        this.scheduler = scheduler;
        this.classLoader = classLoader;
    }

    @Override
    public Class<?> getObjectType() {
        return ClassUtils.resolveClassName(INDICATOR, classLoader);
    }

    @Override
    public Object getObject() {
        InvocationHandler handler = (proxy, method, args) -> switch (method.getName()) {
            case "health" -> health();
            case "toString" -> "pgjobs health indicator (Spring Boot 3.5)";
            case "hashCode" -> System.identityHashCode(proxy);
            case "equals" -> proxy == args[0];
            // getHealth(includeDetails) and the interface's other default methods
            default -> InvocationHandler.invokeDefault(proxy, method, args);
        };
        return Proxy.newProxyInstance(classLoader, new Class<?>[] {getObjectType()}, handler);
    }

    /** {@code Health.up()} or {@code Health.down()}, {@code .withDetails(details).build()}, by reflection. */
    private Object health() throws ReflectiveOperationException {
        ActuatorHealth health = ActuatorHealth.of(scheduler);
        Class<?> healthType = ClassUtils.resolveClassName(HEALTH, classLoader);
        Object builder = healthType.getMethod(health.down() ? "down" : "up").invoke(null);
        Method withDetails = builder.getClass().getMethod("withDetails", Map.class);
        withDetails.invoke(builder, health.details());
        return builder.getClass().getMethod("build").invoke(builder);
    }
}
