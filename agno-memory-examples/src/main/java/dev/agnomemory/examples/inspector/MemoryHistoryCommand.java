package dev.agnomemory.examples.inspector;

import dev.agnomemory.core.MemoryChange;
import dev.agnomemory.core.MemoryChangeCause;
import dev.agnomemory.core.storage.MemoryStorage;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code memory-history <user> <memory-id> [--json] [--full]}: every add, update and delete of one memory, oldest
 * first, with the text before and after and what caused it (Mem0's {@code history(memory_id)}).
 */
final class MemoryHistoryCommand implements Command {

    private static final CommandSpec SPEC = new CommandSpec("memory-history", List.of("user", "memory-id"),
            Map.of(), Set.of("json", "full"), "show every change of one memory, oldest first");

    @Override
    public CommandSpec spec() {
        return SPEC;
    }

    @Override
    public int run(MemoryStorage storage, Arguments args, PrintStream out) {
        String user = args.positional(0);
        String memoryId = args.positional(1);
        List<MemoryChange> history = storage.memoryHistory(user, memoryId);
        if (history.isEmpty()) {
            throw InspectorException.problem("no memory " + Display.oneLine(memoryId) + " of user "
                    + Display.oneLine(user) + " (it never existed, or the user's memories were deleted)");
        }
        if (args.flag("json")) {
            Json.write(out, g -> {
                g.writeStartObject();
                g.writeArrayFieldStart("history");
                for (MemoryChange c : history) {
                    SessionJson.writeMemoryChange(g, c);
                }
                g.writeEndArray();
                g.writeEndObject();
            });
            return Inspector.EXIT_OK;
        }
        TextTable table = new TextTable("AT", "EVENT", "CAUSE", "BEFORE", "AFTER");
        if (args.flag("full")) {
            table.cellLimit(Integer.MAX_VALUE);
        }
        for (MemoryChange c : history) {
            table.row(Display.time(c.at()), SessionJson.event(c.kind()), cause(c.cause()),
                    c.previousMemory().orElse("-"), c.newMemory().orElse("-"));
        }
        table.print(out);
        out.println(Sessions.count(history.size(), "change"));
        return Inspector.EXIT_OK;
    }

    /** For example {@code memory model (session s1, run r7)}. */
    private static String cause(MemoryChangeCause cause) {
        String who = cause.source().name().toLowerCase(Locale.ROOT).replace('_', ' ');
        if (cause.sessionId().isEmpty() && cause.runId().isEmpty()) {
            return who;
        }
        StringBuilder b = new StringBuilder(who).append(" (");
        cause.sessionId().ifPresent(s -> b.append("session ").append(s));
        cause.runId().ifPresent(r -> b.append(cause.sessionId().isPresent() ? ", " : "").append("run ").append(r));
        return b.append(')').toString();
    }
}
