package dev.agnomemory.core.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A child JVM running a main class of the tests, for crash and multi-instance tests. Its stdout and stderr go to
 * files, not pipes: what the child wrote before a SIGKILL is then certainly there to read (reading a killed child's
 * stdout pipe through {@link Process#getInputStream()} was seen to lose its last lines on JDK 17, as the process
 * reaper drains and closes the pipe while the reading thread is still at it).
 */
public final class ChildJvm implements AutoCloseable {
    /** The child process. */
    public final Process process;
    private final Path stdout;
    private final Path stderr;

    private ChildJvm(Process process, Path stdout, Path stderr) {
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /** Starts {@code mainClass}; its output goes to {@code <outputs>.out} and {@code <outputs>.err}. */
    public static ChildJvm start(Class<?> mainClass, Path outputs, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow());
        command.add("-Xmx256m");
        command.add("-XX:+UseSerialGC");
        command.add("-XX:TieredStopAtLevel=1");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass.getName());
        command.addAll(List.of(args));
        Path out = outputs.resolveSibling(outputs.getFileName() + ".out");
        Path err = outputs.resolveSibling(outputs.getFileName() + ".err");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        return new ChildJvm(p, out, err);
    }

    /** Waits until a line matching {@code test} arrives; false when the child ended or time ran out first. */
    public boolean awaitLine(Predicate<String> test, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (System.nanoTime() < deadline) {
            boolean ended = !process.isAlive();
            if (lines().stream().anyMatch(test)) {
                return true;
            }
            if (ended) {
                return false;
            }
            Thread.sleep(5);
        }
        return false;
    }

    /** Waits for the child to end. */
    public boolean awaitExit(long timeoutMillis) throws InterruptedException {
        return process.waitFor(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    /** Every complete line (ended by a newline) the child printed so far. */
    public List<String> lines() {
        String text;
        try {
            text = Files.readString(stdout, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> out = new ArrayList<>(List.of(text.split("\n", -1)));
        out.remove(out.size() - 1); // after the last newline: empty, or a line cut off
        return out;
    }

    /** For assertion messages: stdout tail and the whole stderr. */
    public String describe() {
        List<String> all = lines();
        String tail = String.join("\n", all.subList(Math.max(0, all.size() - 5), all.size()));
        String err;
        try {
            err = Files.exists(stderr) ? Files.readString(stderr) : "(none)";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return "child pid " + process.pid() + (process.isAlive() ? " (alive)" : " exit " + process.exitValue())
                + "\n--- last stdout lines ---\n" + tail + "\n--- stderr ---\n"
                + (err.length() > 20_000 ? err.substring(err.length() - 20_000) : err);
    }

    /**
     * Sends a line to the child's standard input.
     *
     * @param line the line, without its newline
     */
    public void send(String line) throws IOException {
        OutputStream in = process.getOutputStream();
        in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
    }

    /** Kills the child if it is still running. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
