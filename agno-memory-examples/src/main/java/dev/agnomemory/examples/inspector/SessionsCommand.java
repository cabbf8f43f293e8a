package dev.agnomemory.examples.inspector;

import dev.agnomemory.core.Session;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.core.storage.SessionFilter;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** {@code sessions [--user U] [--agent A]}: the stored sessions, most recently updated first. */
final class SessionsCommand implements Command {

    private static final CommandSpec SPEC = new CommandSpec("sessions", List.of(),
            Map.of("user", "USER", "agent", "AGENT"), Set.of(),
            "list sessions, most recently updated first");

    @Override
    public CommandSpec spec() {
        return SPEC;
    }

    @Override
    public int run(MemoryStorage storage, Arguments args, PrintStream out) {
        Optional<String> user = args.option("user");
        Optional<String> agent = args.option("agent");
        List<Session> sessions = storage.sessions(new SessionFilter(user, agent, 0, Integer.MAX_VALUE));
        if (sessions.isEmpty()) {
            out.println("no sessions" + user.map(u -> " of user " + u).orElse("")
                    + agent.map(a -> " with agent " + a).orElse(""));
            return Inspector.EXIT_OK;
        }
        TextTable table = new TextTable("USER", "SESSION", "AGENT", "CREATED", "UPDATED", "RUNS", "SUMMARY");
        for (Session s : sessions) {
            table.row(s.userId(), s.sessionId(), s.agentId().orElse("-"), Display.time(s.createdAt()),
                    Display.time(s.updatedAt()), Long.toString(s.runCount()), s.summary().isPresent() ? "yes" : "no");
        }
        table.print(out);
        out.println(sessions.size() + (sessions.size() == 1 ? " session" : " sessions"));
        return Inspector.EXIT_OK;
    }
}
