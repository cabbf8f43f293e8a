package dev.agnomemory.examples.inspector;

import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.MemoryStorage;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code export <user> <session> [--out FILE]}: the whole session as JSON ({@link SessionJson}), to stdout or to
 * a file. A file is written beside its target first and moved into place, so a failed export leaves no partial
 * file.
 */
final class ExportCommand implements Command {

    private static final CommandSpec SPEC = new CommandSpec("export", List.of("user", "session"),
            Map.of("out", "FILE"), Set.of(), "write a session with all runs and messages as JSON");

    @Override
    public CommandSpec spec() {
        return SPEC;
    }

    @Override
    public int run(MemoryStorage storage, Arguments args, PrintStream out) {
        SessionKey key = Sessions.key(args);
        Session session = Sessions.require(storage, key);
        if (args.option("out").isEmpty()) {
            try {
                SessionJson.write(storage, session, out);
            } catch (IOException e) {
                throw InspectorException.failed("export failed: " + Display.oneLine(e.toString()));
            }
            return Inspector.EXIT_OK;
        }
        Path target = outputPath(args.option("out").get());
        SessionJson.Written written = writeFile(storage, session, target);
        out.println("exported session " + Display.oneLine(Sessions.describe(key)) + " ("
                + Sessions.count(written.runs(), "run") + ", " + Sessions.count(written.messages(), "message")
                + ") to " + target);
        return Inspector.EXIT_OK;
    }

    private static Path outputPath(String name) {
        try {
            Path target = Path.of(name).toAbsolutePath();
            if (Files.isDirectory(target)) {
                throw InspectorException.problem("--out " + name + " is a directory; give a file name");
            }
            return target;
        } catch (InvalidPathException e) {
            throw InspectorException.usage("--out " + name + " is not a valid path");
        }
    }

    private static SessionJson.Written writeFile(MemoryStorage storage, Session session, Path target) {
        Path temp = null;
        try {
            temp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".tmp");
            SessionJson.Written written;
            try (OutputStream file = Files.newOutputStream(temp)) {
                written = SessionJson.write(storage, session, file);
            }
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            return written;
        } catch (IOException e) {
            throw InspectorException.failed("cannot write " + target + ": " + Display.oneLine(e.toString()));
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException e) {
                    // a leftover temp file is reported by nothing else; ignore
                }
            }
        }
    }
}
