package io.pgjobs.spring.boot;

import io.pgjobs.JobContext;
import io.pgjobs.JobHandler;
import io.pgjobs.Scheduler;
import io.pgjobs.spi.RetryPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.core.ResolvableType;

/**
 * Registers every {@link JobHandler} bean for the kind of its args type ({@code JobRequest.kindOf}, so the
 * {@code @JobKind} on the args type). The args type comes from the bean's class
 * ({@code class SendEmailHandler implements JobHandler<SendEmail>}) or, for a lambda, from the declared type of
 * its {@code @Bean} method ({@code JobHandler<SendEmail> sendEmail()}), both read without creating the bean.
 * The bean itself is looked up when a job runs ({@link BeanHandler}): a handler may then depend on the
 * {@code JobClient}, which depends on the {@code Scheduler} being built here. Methods annotated
 * {@link JobHandlerMethod} are registered too ({@link HandlerMethods}).
 */
final class HandlerBeans {

    static void register(ConfigurableListableBeanFactory beanFactory, Scheduler.Builder builder, boolean hasQueues) {
        String[] names = beanFactory.getBeanNamesForType(JobHandler.class);
        List<HandlerMethods.HandlerMethod> methods = HandlerMethods.find(beanFactory);
        if ((names.length > 0 || !methods.isEmpty()) && !hasQueues) {
            List<String> handlers = new ArrayList<>();
            Arrays.stream(names).map(name -> "JobHandler bean " + name).forEach(handlers::add);
            methods.stream().map(HandlerMethods.HandlerMethod::describe).forEach(handlers::add);
            throw new IllegalStateException(String.join(", ", handlers) + " are declared but "
                    + "pgjobs.queues is empty: set pgjobs.queues.<queue>=<concurrency> for the queues their jobs go to, "
                    + "or remove the handlers from an application that only enqueues");
        }
        for (String name : names) {
            register(builder, argsType(beanFactory, name), new BeanHandler<>(beanFactory, name));
        }
        methods.forEach(method -> HandlerMethods.register(beanFactory, builder, method));
    }

    @SuppressWarnings("unchecked")
    private static <A> void register(Scheduler.Builder builder, Class<A> argsType, BeanHandler<?> handler) {
        builder.handler(argsType, (JobHandler<A>) handler);
    }

    private static Class<?> argsType(ConfigurableListableBeanFactory beanFactory, String name) {
        Class<?> beanType = beanFactory.getType(name);
        Class<?> fromClass = beanType == null ? null
                : ResolvableType.forClass(beanType).as(JobHandler.class).getGeneric(0).resolve();
        if (fromClass != null) {
            return fromClass;
        }
        ResolvableType declared = beanFactory.getMergedBeanDefinition(name).getResolvableType();
        Class<?> fromDeclaration = declared.as(JobHandler.class).getGeneric(0).resolve();
        if (fromDeclaration == null) {
            throw new IllegalStateException("JobHandler bean '" + name + "' does not say the type of its args: "
                    + "declare its @Bean method as JobHandler<YourArgs>, or implement JobHandler<YourArgs> in a class");
        }
        return fromDeclaration;
    }

    /** The handler bean {@code name}, looked up at each call (a singleton is created once, at the first). */
    private record BeanHandler<A>(ConfigurableListableBeanFactory beanFactory, String name) implements JobHandler<A> {
        @SuppressWarnings("unchecked")
        private JobHandler<A> bean() {
            return beanFactory.getBean(name, JobHandler.class);
        }

        @Override
        public Object handle(JobContext<A> context) throws Exception {
            return bean().handle(context);
        }

        @Override
        public Duration timeout() {
            return bean().timeout();
        }

        @Override
        public RetryPolicy retryPolicy() {
            return bean().retryPolicy();
        }

        @Override
        public boolean isRetryable(Throwable error) {
            return bean().isRetryable(error);
        }
    }

    private HandlerBeans() {}
}
