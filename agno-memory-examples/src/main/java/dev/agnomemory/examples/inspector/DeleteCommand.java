package dev.agnomemory.examples.inspector;

import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.MemoryStorage;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code delete <user> <session> --yes}: deletes the session with its runs, messages and summary. Without
 * {@code --yes} it deletes nothing, says what would go, and exits with {@value Inspector#EXIT_PROBLEM}.
 */
final class DeleteCommand implements Command {

    private static final CommandSpec SPEC = new CommandSpec("delete", List.of("user", "session"), Map.of(),
            Set.of("yes"), "delete a session with its runs, messages and summary (needs --yes)");

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
        Session session = Sessions.require(storage, key);
        String contents = Sessions.count(session.runCount(), "run") + ", "
                + Sessions.count(Sessions.messageCount(storage, key), "message")
                + (session.summary().isPresent() ? " and a summary" : "");
        String name = Display.oneLine(Sessions.describe(key));
        if (!args.flag("yes")) {
            throw InspectorException.problem("nothing deleted: session " + name + " has " + contents
                    + "; deleting cannot be undone, so run again with --yes to delete it");
        }
        if (!storage.deleteSession(key)) {
            // deleted by someone else in between; cannot happen while the inspector holds the store's lock
            throw InspectorException.problem("no session " + key.sessionId() + " of user " + key.userId());
        }
        out.println("deleted session " + name + ": " + contents);
        return Inspector.EXIT_OK;
    }
}
