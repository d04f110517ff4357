package dev.ett.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * On a test class whose code under test allocates no Netty buffer (a pure core, such as the
 * first-bytes parsers of {@code dev.ett.inspect}, which {@code LayeringTest} keeps JDK-only):
 * {@link LeakCheckExtension} skips its check after each of its tests. The check costs three full
 * garbage collections and 30 ms of sleep, 0.1 to 0.2 s a test on the shared VM: minutes for a fuzz
 * target that replays a few hundred saved inputs, each one a test. A leak made elsewhere is still
 * reported, by the next test that is checked.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface NoNettyBuffers {}
