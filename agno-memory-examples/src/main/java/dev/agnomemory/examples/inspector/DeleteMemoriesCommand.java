package dev.agnomemory.examples.inspector;

import dev.agnomemory.core.storage.MemoryStorage;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code delete-memories <user> --yes}: deletes all of the user's memories, with their embeddings and history.
 * Without {@code --yes} it deletes nothing, says what would go, and exits with {@value Inspector#EXIT_PROBLEM}.
 */
final class DeleteMemoriesCommand implements Command {

    private static final CommandSpec SPEC = new CommandSpec("delete-memories", List.of("user"), Map.of(),
            Set.of("yes"), "delete all of a user's memories and their history (needs --yes)");

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
        String user = args.positional(0);
        String name = Display.oneLine(user);
        int count = storage.memories(user).size();
        if (!args.flag("yes")) {
            throw InspectorException.problem("nothing deleted: user " + name + " has "
                    + Sessions.count(count, "memory", "memories")
                    + "; deleting cannot be undone, so run again with --yes to delete them");
        }
        int deleted = storage.deleteMemories(user);
        out.println("deleted " + Sessions.count(deleted, "memory", "memories") + " of user "
                + name + ", with their history");
        return Inspector.EXIT_OK;
    }
}
