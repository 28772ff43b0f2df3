package io.pgjobs.spring.boot;

import io.pgjobs.JobHandler;
import io.pgjobs.Scheduler;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.core.ResolvableType;

/**
 * Registers every {@link JobHandler} bean for the kind of its args type ({@code JobRequest.kindOf}, so the
 * {@code @JobKind} on the args type or its class name). The args type comes from the bean's class
 * ({@code class SendEmailHandler implements JobHandler<SendEmail>}) or, for a lambda, from the declared type of
 * its {@code @Bean} method ({@code JobHandler<SendEmail> sendEmail()}).
 */
final class HandlerBeans {

    static void register(ConfigurableListableBeanFactory beanFactory, Scheduler.Builder builder, boolean hasQueues) {
        String[] names = beanFactory.getBeanNamesForType(JobHandler.class);
        if (names.length > 0 && !hasQueues) {
            throw new IllegalStateException("JobHandler beans " + String.join(", ", names) + " are declared but "
                    + "pgjobs.queues is empty: set pgjobs.queues.<queue>=<concurrency> for the queues their jobs go to, "
                    + "or remove the beans from an application that only enqueues");
        }
        for (String name : names) {
            JobHandler<?> handler = beanFactory.getBean(name, JobHandler.class);
            register(builder, argsType(beanFactory, name, handler), handler);
        }
    }

    @SuppressWarnings("unchecked")
    private static <A> void register(Scheduler.Builder builder, Class<A> argsType, JobHandler<?> handler) {
        builder.handler(argsType, (JobHandler<A>) handler);
    }

    private static Class<?> argsType(ConfigurableListableBeanFactory beanFactory, String name, JobHandler<?> handler) {
        Class<?> fromClass = ResolvableType.forClass(handler.getClass()).as(JobHandler.class).getGeneric(0).resolve();
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

    private HandlerBeans() {}
}
