package dev.agnomemory.examples.inspector;

import com.fasterxml.jackson.core.JsonParser;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.storage.MemoryStorage;
import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code state <user> <session>}: the session's state (Agno's {@code session_state}) as pretty-printed JSON, and
 * its name; {@code {}} when no state was set.
 */
final class StateCommand implements Command {

    private static final CommandSpec SPEC = new CommandSpec("state", List.of("user", "session"), Map.of(),
            Set.of(), "print a session's state as JSON");

    @Override
    public CommandSpec spec() {
        return SPEC;
    }

    @Override
    public int run(MemoryStorage storage, Arguments args, PrintStream out) {
        Session session = Sessions.require(storage, Sessions.key(args));
        Json.write(out, g -> {
            try (JsonParser p = SessionJson.FACTORY.createParser(session.state())) {
                p.nextToken();
                g.copyCurrentStructure(p);
            } catch (IOException e) {
                throw InspectorException.failed("the stored state is not readable JSON: "
                        + Display.oneLine(e.getMessage()));
            }
        });
        return Inspector.EXIT_OK;
    }
}
