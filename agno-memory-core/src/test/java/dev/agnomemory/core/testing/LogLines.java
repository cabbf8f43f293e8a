package dev.agnomemory.core.testing;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** What slf4j-simple (the tests' logger, writing to System.err) logs while some code runs. */
public final class LogLines {

    private LogLines() {
    }

    /**
     * Runs {@code code} and returns what was logged meanwhile; the log is also passed on to the real System.err.
     *
     * @param code what to run
     * @return the log text
     */
    public static String during(Runnable code) {
        PrintStream real = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            code.run();
        } finally {
            System.setErr(real);
            real.print(captured.toString(StandardCharsets.UTF_8));
        }
        return captured.toString(StandardCharsets.UTF_8);
    }
}
