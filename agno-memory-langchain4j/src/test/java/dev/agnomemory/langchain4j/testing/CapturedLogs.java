package dev.agnomemory.langchain4j.testing;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What the library logged during a test: slf4j-simple (the test logger) writes each line to the current
 * {@code System.err}, which this extension replaces for the test and restores after (the lines are also passed on).
 * {@code @RegisterExtension final CapturedLogs logs = new CapturedLogs();}
 */
public final class CapturedLogs implements BeforeEachCallback, AfterEachCallback {

    private PrintStream original;
    private ByteArrayOutputStream captured;

    @Override
    public void beforeEach(ExtensionContext context) {
        original = System.err;
        captured = new ByteArrayOutputStream();
        PrintStream both = new PrintStream(new java.io.OutputStream() {
            @Override
            public void write(int b) {
                synchronized (CapturedLogs.this) {
                    captured.write(b);
                }
                original.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                synchronized (CapturedLogs.this) {
                    captured.write(b, off, len);
                }
                original.write(b, off, len);
            }
        }, true, StandardCharsets.UTF_8);
        System.setErr(both);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        System.setErr(original);
    }

    /** @return everything logged so far */
    public synchronized String text() {
        return captured.toString(StandardCharsets.UTF_8);
    }

    /** @return the lines logged so far */
    public List<String> lines() {
        return Arrays.asList(text().split("\n"));
    }

    /** @return the lines that contain {@code part} */
    public List<String> linesWith(String part) {
        return lines().stream().filter(l -> l.contains(part)).toList();
    }

    /** @return whether a stack trace was logged ("\tat " lines) */
    public boolean hasStackTrace() {
        return lines().stream().anyMatch(l -> l.startsWith("\tat ") || l.startsWith("Caused by: "));
    }
}
