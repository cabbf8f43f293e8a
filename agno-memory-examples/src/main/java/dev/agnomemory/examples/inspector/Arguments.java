package dev.agnomemory.examples.inspector;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The arguments of one command, checked against its {@link CommandSpec}. Options may come anywhere, as
 * {@code --out FILE} or {@code --out=FILE}; after {@code --} everything is positional.
 */
final class Arguments {

    private final List<String> positionals;
    private final Map<String, String> options;
    private final Set<String> flags;

    private Arguments(List<String> positionals, Map<String, String> options, Set<String> flags) {
        this.positionals = positionals;
        this.options = options;
        this.flags = flags;
    }

    /**
     * @param spec what the command accepts
     * @param args the arguments after the command name
     * @return the checked arguments
     * @throws InspectorException (usage) for unknown options, missing option values, or the wrong number of
     *     positional arguments
     */
    static Arguments parse(CommandSpec spec, List<String> args) {
        List<String> positionals = new ArrayList<>();
        Map<String, String> options = new HashMap<>();
        Set<String> flags = new HashSet<>();
        boolean onlyPositionals = false;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (onlyPositionals || !arg.startsWith("--")) {
                positionals.add(arg);
                continue;
            }
            if (arg.equals("--")) {
                onlyPositionals = true;
                continue;
            }
            String name = arg.substring(2);
            String inlineValue = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                inlineValue = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (spec.flags().contains(name) && inlineValue == null) {
                flags.add(name);
            } else if (spec.options().containsKey(name)) {
                String value = inlineValue;
                if (value == null) {
                    if (i + 1 >= args.size()) {
                        throw usageError(spec, "--" + name + " needs a value");
                    }
                    value = args.get(++i);
                }
                if (value.isBlank()) {
                    throw usageError(spec, "--" + name + " needs a non-blank value");
                }
                options.put(name, value);
            } else {
                throw usageError(spec, "unknown option " + arg + " for " + spec.name());
            }
        }
        if (positionals.size() != spec.positionals().size()) {
            throw usageError(spec, positionals.size() < spec.positionals().size()
                    ? spec.name() + " is missing arguments"
                    : spec.name() + " got too many arguments " + positionals.subList(spec.positionals().size(),
                            positionals.size()));
        }
        for (int i = 0; i < positionals.size(); i++) {
            if (positionals.get(i).isBlank()) {
                throw usageError(spec, "<" + spec.positionals().get(i) + "> must not be blank");
            }
        }
        return new Arguments(List.copyOf(positionals), Map.copyOf(options), Set.copyOf(flags));
    }

    private static InspectorException usageError(CommandSpec spec, String problem) {
        return InspectorException.usage(problem + "; usage: " + spec.usage());
    }

    /** @return the positional argument at {@code index} (checked to exist by {@link #parse}) */
    String positional(int index) {
        return positionals.get(index);
    }

    /** @return the value of the option, if given */
    Optional<String> option(String name) {
        return Optional.ofNullable(options.get(name));
    }

    /**
     * @param name the option
     * @param defaultValue its value when not given
     * @param min the smallest allowed value
     * @return the option's value as a number
     * @throws InspectorException (usage) when it is not a whole number of at least {@code min}
     */
    int intOption(String name, int defaultValue, int min) {
        Optional<String> text = option(name);
        if (text.isEmpty()) {
            return defaultValue;
        }
        try {
            int value = Integer.parseInt(text.get().strip());
            if (value >= min) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw InspectorException.usage("--" + name + " must be a whole number of at least " + min + ", not "
                + Display.oneLine(text.get()));
    }

    /** @return whether the flag was given */
    boolean flag(String name) {
        return flags.contains(name);
    }
}
