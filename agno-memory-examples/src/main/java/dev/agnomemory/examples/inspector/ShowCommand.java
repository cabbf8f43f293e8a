package dev.agnomemory.examples.inspector;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.Role;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.RunMetrics;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.SessionSummary;
import dev.agnomemory.core.ToolCall;
import dev.agnomemory.core.storage.MemoryStorage;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * {@code show <user> <session> [--full] [--json]}: the session's header (name, state, totals, summary), a table of
 * its runs (status, duration, tokens, calls), then every run with its messages. Texts are shortened to one line
 * unless {@code --full} is given; {@code --json} writes what {@code export} writes.
 */
final class ShowCommand implements Command {

    private static final CommandSpec SPEC = new CommandSpec("show", List.of("user", "session"), Map.of(),
            Set.of("full", "json"), "show a session's runs and messages (texts shortened unless --full)");

    private static final String HEADER_INDENT = "           ";
    private static final String MESSAGE_INDENT = "      ";

    @Override
    public CommandSpec spec() {
        return SPEC;
    }

    @Override
    public int run(MemoryStorage storage, Arguments args, PrintStream out) {
        SessionKey key = Sessions.key(args);
        Session session = Sessions.require(storage, key);
        if (args.flag("json")) {
            try {
                SessionJson.write(storage, session, out);
            } catch (java.io.IOException e) {
                throw InspectorException.failed("writing JSON failed: " + Display.oneLine(e.toString()));
            }
            return Inspector.EXIT_OK;
        }
        boolean full = args.flag("full");
        printHeader(session, full, out);
        if (session.runCount() > 0) {
            out.println();
            TextTable table = new TextTable("RUN", "ID", "STATUS", "STARTED", "DURATION", "TOKENS", "IN", "OUT",
                    "MODEL CALLS", "TOOL CALLS");
            try (Stream<Run> runs = storage.runs(key)) {
                runs.forEach(run -> table.row(Long.toString(run.sequence()), run.runId(), status(run),
                        Display.time(run.startedAt()), run.duration().map(ShowCommand::duration).orElse("-"),
                        Long.toString(run.metrics().totalTokens()), Long.toString(run.metrics().inputTokens()),
                        Long.toString(run.metrics().outputTokens()), Integer.toString(run.metrics().modelCalls()),
                        Integer.toString(run.metrics().toolCalls())));
            }
            table.print(out);
        }
        try (Stream<Run> runs = storage.runs(key)) {
            runs.forEach(run -> printRun(run, full, out));
        }
        return Inspector.EXIT_OK;
    }

    /** For example {@code completed}, {@code error}, or {@code running} for a run never finished. */
    private static String status(Run run) {
        return run.status().name().toLowerCase(Locale.ROOT);
    }

    /** For example {@code 850 ms}, {@code 12.3 s}, {@code 4 min 5 s}. */
    static String duration(java.time.Duration d) {
        long ms = d.toMillis();
        if (ms < 1000) {
            return ms + " ms";
        }
        if (ms < 60_000) {
            return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
        }
        return d.toMinutes() + " min " + d.toSecondsPart() + " s";
    }

    private static void printHeader(Session s, boolean full, PrintStream out) {
        out.println("session    " + Display.oneLine(s.sessionId()));
        out.println("name       " + Display.oneLine(s.name().orElse("-")));
        out.println("user       " + Display.oneLine(s.userId()));
        out.println("agent      " + Display.oneLine(s.agentId().orElse("-")));
        out.println("created    " + Display.time(s.createdAt()));
        out.println("updated    " + Display.time(s.updatedAt()));
        out.println("runs       " + s.runCount());
        RunMetrics m = s.metrics();
        out.println("tokens     " + m.totalTokens() + " (input " + m.inputTokens() + ", output " + m.outputTokens()
                + "); " + m.modelCalls() + " model calls, " + m.toolCalls() + " tool calls"
                + m.model().map(model -> "; model " + Display.oneLine(model)).orElse(""));
        out.println("state      " + text(s.state(), full, HEADER_INDENT));
        out.println("summary    " + s.summary().map(summary -> summary(summary, full)).orElse("none"));
        Map<String, String> data = new TreeMap<>(s.data());
        if (!data.isEmpty()) {
            String prefix = "data       ";
            for (Map.Entry<String, String> e : data.entrySet()) {
                out.println(prefix + Display.oneLine(e.getKey()) + " = " + text(e.getValue(), full, HEADER_INDENT));
                prefix = HEADER_INDENT;
            }
        }
    }

    private static String summary(SessionSummary summary, boolean full) {
        String covers = summary.lastRunSequence() < 0 ? "no runs" : "runs up to " + summary.lastRunSequence();
        return text(summary.summary(), full, HEADER_INDENT) + "\n" + HEADER_INDENT + "(topics: "
                + (summary.topics().isEmpty() ? "none" : Display.oneLine(String.join(", ", summary.topics())))
                + "; covers " + covers + "; written " + Display.time(summary.updatedAt()) + ")";
    }

    private static void printRun(Run run, boolean full, PrintStream out) {
        out.println();
        out.println("run " + run.sequence() + "  " + Display.oneLine(run.runId()) + "  started "
                + Display.time(run.startedAt()) + "  " + switch (run.status()) {
                    case RUNNING -> "not finished";
                    case COMPLETED -> "completed " + Display.time(run.finishedAt());
                    case CANCELLED -> "cancelled " + Display.time(run.finishedAt());
                    case ERROR -> "failed " + Display.time(run.finishedAt()) + ": "
                            + text(run.error().orElse(""), full, MESSAGE_INDENT);
                });
        List<Message> messages = run.messages();
        for (int i = 0; i < messages.size(); i++) {
            printMessage(i, messages.get(i), full, out);
        }
    }

    private static void printMessage(int index, Message m, boolean full, PrintStream out) {
        StringBuilder line = new StringBuilder("  #").append(index).append(' ')
                .append(m.role().name().toLowerCase(Locale.ROOT));
        if (m.role() == Role.TOOL) {
            line.append(" result");
            if (m.toolName() != null) {
                line.append(" of ").append(Display.oneLine(m.toolName()));
            }
            if (m.toolCallId() != null) {
                line.append(" [").append(Display.oneLine(m.toolCallId())).append(']');
            }
            if (m.error()) {
                line.append(" ERROR");
            }
        }
        line.append(": ").append(m.content().isEmpty() && !m.toolCalls().isEmpty()
                ? "(no text)" : text(m.content(), full, MESSAGE_INDENT));
        out.println(line);
        for (ToolCall call : m.toolCalls()) {
            out.println(MESSAGE_INDENT + "calls " + Display.oneLine(call.name())
                    + (call.id() != null ? " [" + Display.oneLine(call.id()) + "]" : "") + " "
                    + text(call.arguments(), full, MESSAGE_INDENT));
        }
    }

    private static String text(String text, boolean full, String indent) {
        return full ? Display.indented(text, indent) : Display.shortened(text);
    }
}
