package io.pgjobs.spring.boot;

import io.pgjobs.JobContext;
import io.pgjobs.JobHandler;
import io.pgjobs.Scheduler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.ResolvableType;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.util.ClassUtils;
import org.springframework.util.ReflectionUtils;

/**
 * Finds the {@link JobHandlerMethod} methods of the application's beans (from the beans' types, without creating
 * them) and turns each into a {@link JobHandler} whose args type comes from the method's parameters.
 */
final class HandlerMethods {

    /** One annotated method of bean {@code beanName}; {@code kind} empty for its args type's {@code @JobKind}. */
    record HandlerMethod(String beanName, Method method, Class<?> argsType, String kind) {
        String describe() {
            return "@JobHandlerMethod " + method.getDeclaringClass().getSimpleName() + "." + method.getName()
                    + " (bean '" + beanName + "')";
        }
    }

    static List<HandlerMethod> find(ConfigurableListableBeanFactory beanFactory) {
        List<HandlerMethod> found = new ArrayList<>();
        for (String name : beanFactory.getBeanDefinitionNames()) {
            Class<?> type = beanFactory.getType(name, false);
            if (type == null) {
                continue;
            }
            Map<Method, JobHandlerMethod> methods = MethodIntrospector.selectMethods(ClassUtils.getUserClass(type),
                    (MethodIntrospector.MetadataLookup<JobHandlerMethod>) method ->
                            AnnotatedElementUtils.findMergedAnnotation(method, JobHandlerMethod.class));
            methods.forEach((method, annotation) -> found.add(
                    new HandlerMethod(name, method, argsType(name, method), annotation.kind())));
        }
        return found;
    }

    static void register(ConfigurableListableBeanFactory beanFactory, Scheduler.Builder builder, HandlerMethod method) {
        register(builder, method, method.argsType(), new MethodHandler<>(beanFactory, method));
    }

    @SuppressWarnings("unchecked")
    private static <A> void register(Scheduler.Builder builder, HandlerMethod method, Class<A> argsType,
                                     MethodHandler<?> handler) {
        try {
            if (method.kind().isEmpty()) {
                builder.handler(argsType, (JobHandler<A>) handler);
            } else {
                builder.handler(method.kind(), argsType, (JobHandler<A>) handler);
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(method.describe() + ": " + e.getMessage(), e);
        }
    }

    /** The args type: the one parameter that is not the context, else the context's type argument. */
    private static Class<?> argsType(String beanName, Method method) {
        Class<?> args = null;
        Class<?> fromContext = null;
        int contexts = 0;
        for (int i = 0; i < method.getParameterCount(); i++) {
            if (method.getParameterTypes()[i] == JobContext.class) {
                contexts++;
                fromContext = ResolvableType.forMethodParameter(method, i).getGeneric(0).resolve();
            } else if (args == null) {
                args = method.getParameterTypes()[i];
            } else {
                throw invalid(beanName, method, "takes two args parameters; give it the job's args and, optionally,"
                        + " its JobContext");
            }
        }
        if (contexts > 1) {
            throw invalid(beanName, method, "takes the JobContext twice");
        }
        if (args != null && fromContext != null && fromContext != args) {
            throw invalid(beanName, method, "its args are " + args.getName() + " but its context is JobContext<"
                    + fromContext.getName() + ">");
        }
        if (args == null && fromContext == null) {
            throw invalid(beanName, method, "does not say the type of its args: take them as a parameter, or"
                    + " take JobContext<YourArgs>");
        }
        return args != null ? args : fromContext;
    }

    private static IllegalStateException invalid(String beanName, Method method, String problem) {
        return new IllegalStateException("@JobHandlerMethod " + method.getDeclaringClass().getSimpleName() + "."
                + method.getName() + " (bean '" + beanName + "') " + problem);
    }

    /** Calls the method on the bean, looked up at each call, with the args and the context where it takes them. */
    private record MethodHandler<A>(ConfigurableListableBeanFactory beanFactory, HandlerMethod handler)
            implements JobHandler<A> {
        @Override
        public Object handle(JobContext<A> context) throws Exception {
            Object bean = beanFactory.getBean(handler.beanName());
            Method method = AopUtils.selectInvocableMethod(handler.method(), bean.getClass());
            ReflectionUtils.makeAccessible(method);
            Object[] parameters = new Object[method.getParameterCount()];
            for (int i = 0; i < parameters.length; i++) {
                parameters[i] = method.getParameterTypes()[i] == JobContext.class ? context : context.args();
            }
            try {
                return method.invoke(bean, parameters);
            } catch (InvocationTargetException e) {
                if (e.getCause() instanceof Exception cause) {
                    throw cause;
                }
                if (e.getCause() instanceof Error error) {
                    throw error;
                }
                throw e;
            }
        }
    }

    private HandlerMethods() {}
}
