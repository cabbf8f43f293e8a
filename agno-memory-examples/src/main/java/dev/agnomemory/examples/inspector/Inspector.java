package dev.agnomemory.examples.inspector;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Command-line inspector of an agno-memory store: what Agno users do with {@code sqlite3} on their agent
 * database. Works offline on any store, and never creates one. The store is a MapDB file, or a PostgreSQL
 * database given by its JDBC URL ({@code jdbc:postgresql://host/db?user=u&password=p}, the store's schema as
 * {@code currentSchema}, default {@code agno_memory}); the commands are the same.
 *
 * <pre>
 * Inspector &lt;store-file&gt; sessions [--user U] [--agent A] [--offset N] [--limit N] [--json]
 * Inspector &lt;store-file&gt; show &lt;user&gt; &lt;session&gt; [--full] [--json]
 * Inspector &lt;store-file&gt; export &lt;user&gt; &lt;session&gt; [--out FILE]
 * Inspector &lt;store-file&gt; state &lt;user&gt; &lt;session&gt;
 * Inspector &lt;store-file&gt; rename &lt;user&gt; &lt;session&gt; &lt;name&gt;
 * Inspector &lt;store-file&gt; delete &lt;user&gt; &lt;session&gt; --yes
 * Inspector &lt;store-file&gt; memories &lt;user&gt; [--offset N] [--limit N] [--json] [--full]
 * Inspector &lt;store-file&gt; memory-history &lt;user&gt; &lt;memory-id&gt; [--json] [--full]
 * Inspector &lt;store-file&gt; delete-memories &lt;user&gt; --yes
 * Inspector help
 * </pre>
 *
 * <p>Listings show {@value Listing#DEFAULT_LIMIT} rows at a time and say how to see the next page; table cells
 * are one line, escaped where a character could disturb the terminal, lined up by terminal columns, and cut at
 * {@value TextTable#CELL_LIMIT} columns unless {@code --full} is given.
 *
 * <p>Exit codes: {@value #EXIT_OK} success; {@value #EXIT_PROBLEM} bad usage, no store, store open elsewhere,
 * not a store, unknown session, or a delete without {@code --yes}; {@value #EXIT_FAILED} an operation that
 * failed (for example an export file that cannot be written).
 *
 * <p>{@code sessions}, {@code show} and {@code export} read the store without changing it, also while the app that
 * uses it has it open (they show it as it was when the inspector started). {@code delete} changes it, so the app
 * must be closed first; a PostgreSQL store is changed beside the running apps.
 */
public final class Inspector {

    static final int EXIT_OK = 0;
    static final int EXIT_FAILED = 1;
    static final int EXIT_PROBLEM = 2;

    private static final Set<String> HELP = Set.of("help", "--help", "-h");

    private final PrintStream out;
    private final PrintStream err;
    private final Map<String, Command> commands = new LinkedHashMap<>();

    /**
     * @param out where results go
     * @param err where problems go, one line each
     */
    public Inspector(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
        for (Command c : List.of(new SessionsCommand(), new ShowCommand(), new ExportCommand(), new StateCommand(),
                new RenameCommand(), new DeleteCommand(), new MemoriesCommand(), new MemoryHistoryCommand(),
                new DeleteMemoriesCommand())) {
            commands.put(c.spec().name(), c);
        }
    }

    /**
     * Runs the inspector with {@code System.out} and {@code System.err}, and exits with its exit code.
     *
     * @param args {@code <store-file> <command> [args]}
     */
    public static void main(String[] args) {
        // The store logs recovery steps at info level; a command-line tool only shows warnings.
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        System.exit(new Inspector(System.out, System.err).run(args));
    }

    /**
     * @param args {@code <store-file> <command> [args]}
     * @return the exit code: {@value #EXIT_OK}, {@value #EXIT_FAILED} or {@value #EXIT_PROBLEM}
     */
    public int run(String... args) {
        try {
            return dispatch(args);
        } catch (InspectorException e) {
            err.println("inspector: " + e.getMessage());
            return e.exitCode();
        } catch (RuntimeException e) {
            err.println("inspector: unexpected error: " + Display.oneLine(e.toString()));
            return EXIT_FAILED;
        } finally {
            out.flush();
            err.flush();
        }
    }

    private int dispatch(String[] args) {
        if (args.length == 0 || HELP.contains(args[0]) || (args.length >= 2 && HELP.contains(args[1]))) {
            printUsage();
            return EXIT_OK;
        }
        if (args.length == 1) {
            throw InspectorException.usage(commands.containsKey(args[0])
                    ? "the store file comes first: Inspector <store-file> " + args[0]
                    : "missing command after the store file " + args[0]);
        }
        Command command = commands.get(args[1]);
        if (command == null) {
            throw InspectorException.usage("unknown command '" + Display.oneLine(args[1]) + "'; commands: "
                    + String.join(", ", commands.keySet()) + ", help");
        }
        Arguments arguments = Arguments.parse(command.spec(), Arrays.asList(args).subList(2, args.length));
        try (StoreOpening.Opened store = StoreOpening.open(args[0], command.writes())) {
            return command.run(store.storage(), arguments, out);
        }
    }

    private void printUsage() {
        out.println("Inspects an agno-memory store file; reading works while the app uses it, delete needs it closed.");
        out.println("A PostgreSQL store is given by its JDBC URL instead of the file");
        out.println("(jdbc:postgresql://host/db?user=u&password=p&currentSchema=agno_memory); apps may keep running.");
        out.println();
        out.println("usage: Inspector <store-file> <command> [args]");
        out.println();
        out.println("commands:");
        int width = commands.values().stream().mapToInt(c -> c.spec().usage().length()).max().orElse(0);
        for (Command c : commands.values()) {
            String usage = c.spec().usage();
            out.println("  " + usage + " ".repeat(width - usage.length() + 3) + c.spec().description());
        }
        out.println("  help" + " ".repeat(width - 4 + 3) + "show this help");
        out.println();
        out.println("Times are UTC. Exit codes: 0 success; 2 bad usage, no store, store open elsewhere (delete), not a "
                + "store,");
        out.println("unknown session, delete without --yes; 1 an operation failed.");
    }
}
