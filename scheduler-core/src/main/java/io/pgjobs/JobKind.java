package io.pgjobs;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Names the kind of job an args type stands for, e.g. {@code @JobKind("email.send") record SendEmail(...)}.
 *
 * <p>The kind is what is stored with the job and what a handler is registered under. It is a stable name of
 * your choosing, not the class name, so renaming or moving the class never breaks jobs already queued.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface JobKind {
    /** {@return the kind, such as {@code email.send}} */
    String value();
}
