package dev.agnomemory.examples.inspector;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a command accepts: its positional arguments, its flags ({@code --full}) and its options with a value
 * ({@code --out FILE}).
 *
 * @param name the command's name
 * @param positionals the names of the required positional arguments, in order
 * @param options option name (without {@code --}) to the name of its value, in usage order
 * @param flags flag names (without {@code --})
 * @param description one line for the usage
 */
record CommandSpec(String name, List<String> positionals, Map<String, String> options, Set<String> flags,
        String description) {

    CommandSpec {
        positionals = List.copyOf(positionals);
        options = Map.copyOf(options);
        flags = Set.copyOf(flags);
    }

    /** @return for example {@code show <user> <session> [--full]} */
    String usage() {
        StringBuilder b = new StringBuilder(name);
        positionals.forEach(p -> b.append(" <").append(p).append('>'));
        options.keySet().stream().sorted()
                .forEach(o -> b.append(" [--").append(o).append(' ').append(options.get(o)).append(']'));
        flags.stream().sorted().forEach(f -> b.append(" [--").append(f).append(']'));
        return b.toString();
    }
}
