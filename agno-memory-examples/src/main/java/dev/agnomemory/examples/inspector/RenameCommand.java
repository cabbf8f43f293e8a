package dev.agnomemory.examples.inspector;

import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.MemoryStorage;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code rename <user> <session> <name>}: sets the session's name (Agno's {@code session_name}). */
final class RenameCommand implements Command {

    private static final CommandSpec SPEC = new CommandSpec("rename", List.of("user", "session", "name"), Map.of(),
            Set.of(), "set a session's name");

    @Override
    public CommandSpec spec() {
        return SPEC;
    }

    @Override
    public boolean writes() {
        return true;
    }

    @Override
    public int run(MemoryStorage storage, Arguments args, PrintStream out) {
        SessionKey key = Sessions.key(args);
        String name = args.positional(2);
        storage.renameSession(key, name).orElseThrow(() -> InspectorException.problem(
                "no session " + Display.oneLine(Sessions.describe(key))));
        out.println("renamed session " + Display.oneLine(Sessions.describe(key)) + " to " + Display.oneLine(name));
        return Inspector.EXIT_OK;
    }
}
