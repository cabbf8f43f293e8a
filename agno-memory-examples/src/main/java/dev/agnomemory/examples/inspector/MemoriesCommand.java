package dev.agnomemory.examples.inspector;

import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.storage.MemoryStorage;
import java.io.PrintStream;
import java.util.List;
import java.util.Set;

/**
 * {@code memories <user> [--offset N] [--limit N] [--json] [--full]}: the user's memories, oldest first, one page
 * at a time. Texts are cut to the table's cell width unless {@code --full} is given.
 */
final class MemoriesCommand implements Command {

    private static final CommandSpec SPEC = new CommandSpec("memories", List.of("user"), Listing.OPTIONS,
            Set.of("json", "full"), "list a user's memories, oldest first");

    @Override
    public CommandSpec spec() {
        return SPEC;
    }

    @Override
    public int run(MemoryStorage storage, Arguments args, PrintStream out) {
        String user = args.positional(0);
        Listing listing = Listing.of(args);
        Listing.Page<UserMemory> page = listing.read((offset, limit) -> storage.memories(user, offset, limit));
        if (args.flag("json")) {
            Json.write(out, g -> {
                g.writeStartObject();
                g.writeArrayFieldStart("memories");
                for (UserMemory m : page.items()) {
                    SessionJson.writeMemory(g, m);
                }
                g.writeEndArray();
                g.writeBooleanField("more", page.more());
                g.writeEndObject();
            });
            return Inspector.EXIT_OK;
        }
        if (page.items().isEmpty()) {
            out.println("no memories of user " + Display.oneLine(user)
                    + (listing.offset() > 0 ? " from number " + (listing.offset() + 1) : ""));
            return Inspector.EXIT_OK;
        }
        TextTable table = new TextTable("ID", "AGENT", "CREATED", "UPDATED", "TOPICS", "MEMORY");
        if (args.flag("full")) {
            table.cellLimit(Integer.MAX_VALUE);
        }
        for (UserMemory m : page.items()) {
            table.row(m.memoryId(), m.agentId().orElse("-"), Display.time(m.createdAt()), Display.time(m.updatedAt()),
                    m.topics().isEmpty() ? "-" : String.join(", ", m.topics()), m.memory());
        }
        table.print(out);
        listing.printFooter(out, page, "memory", "memories");
        return Inspector.EXIT_OK;
    }
}
