package dev.agnomemory.examples.inspector;

import dev.agnomemory.core.Session;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.core.storage.SessionFilter;
import java.io.PrintStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code sessions [--user U] [--agent A] [--offset N] [--limit N] [--json]}: the stored sessions, most recently
 * updated first, one page at a time.
 */
final class SessionsCommand implements Command {

    private static final CommandSpec SPEC = new CommandSpec("sessions", List.of(), options(), Set.of("json"),
            "list sessions, most recently updated first");

    private static Map<String, String> options() {
        Map<String, String> options = new HashMap<>(Listing.OPTIONS);
        options.put("user", "USER");
        options.put("agent", "AGENT");
        return options;
    }

    @Override
    public CommandSpec spec() {
        return SPEC;
    }

    @Override
    public int run(MemoryStorage storage, Arguments args, PrintStream out) {
        Optional<String> user = args.option("user");
        Optional<String> agent = args.option("agent");
        Listing listing = Listing.of(args);
        Listing.Page<Session> page = listing.read((offset, limit) -> storage.sessions(
                new SessionFilter(user, agent, offset, limit)));
        if (args.flag("json")) {
            Json.write(out, g -> {
                g.writeStartObject();
                g.writeArrayFieldStart("sessions");
                for (Session s : page.items()) {
                    g.writeStartObject();
                    SessionJson.writeSessionFields(g, s);
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeBooleanField("more", page.more());
                g.writeEndObject();
            });
            return Inspector.EXIT_OK;
        }
        if (page.items().isEmpty()) {
            out.println("no sessions" + user.map(u -> " of user " + Display.oneLine(u)).orElse("")
                    + agent.map(a -> " with agent " + Display.oneLine(a)).orElse("")
                    + (listing.offset() > 0 ? " from number " + (listing.offset() + 1) : ""));
            return Inspector.EXIT_OK;
        }
        TextTable table = new TextTable("USER", "SESSION", "NAME", "AGENT", "CREATED", "UPDATED", "RUNS", "TOKENS",
                "SUMMARY");
        for (Session s : page.items()) {
            table.row(s.userId(), s.sessionId(), s.name().orElse("-"), s.agentId().orElse("-"),
                    Display.time(s.createdAt()), Display.time(s.updatedAt()), Long.toString(s.runCount()),
                    Long.toString(s.metrics().totalTokens()), s.summary().isPresent() ? "yes" : "no");
        }
        table.print(out);
        listing.printFooter(out, page, "session", "sessions");
        return Inspector.EXIT_OK;
    }
}
