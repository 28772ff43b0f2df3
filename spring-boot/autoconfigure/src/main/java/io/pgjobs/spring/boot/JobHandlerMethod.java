package io.pgjobs.spring.boot;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a method of a Spring bean as the handler of one kind of job, found and registered by the starter like a
 * {@code JobHandler} bean. Its parameters are the job's args (their type is the args type) and, optionally, the
 * {@code JobContext}; either may be left out, as long as one says the args type:
 *
 * <ul>
 *   <li>{@code void send(SendEmail email)}</li>
 *   <li>{@code Receipt charge(ChargeCard charge, JobContext<ChargeCard> context)}</li>
 *   <li>{@code void export(JobContext<Export> context)}</li>
 * </ul>
 *
 * <p>Returning normally completes the job, with what the method returned (unless void or null) as its result;
 * throwing fails the attempt, as from {@code JobHandler.handle}. The kind is {@link #kind()}, or else the
 * {@code @JobKind} of the args type. The bean is looked up when a job runs, so it may depend on the
 * {@code JobClient}, and a proxied bean ({@code @Transactional} on the method) runs through its proxy.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface JobHandlerMethod {
    /** {@return the kind of job this method handles; empty: the {@code @JobKind} of its args type} */
    String kind() default "";
}
