package io.hydragen.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/**
 * The one-line message of a command-line mistake. An unknown option is named first with the nearest known ones
 * ({@code --max-token} → "did you mean --max-tokens?"), even when picocli stopped at a required option first: a
 * misspelt {@code --outptu} otherwise reads as "Missing required option: '--output'", which hides the typo.
 */
final class UsageMessage {
    private UsageMessage() {}

    static String of(CommandLine.ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        List<String> unknown = ex instanceof CommandLine.UnmatchedArgumentException u ? u.getUnmatched() : unknownOptions(cmd, args);
        List<String> options = unknown.stream().filter(a -> a.startsWith("-")).toList();
        if (options.isEmpty()) return firstLine(ex.getMessage());
        List<String> suggestions = new CommandLine.UnmatchedArgumentException(cmd, options).getSuggestions();
        String names = String.join(", ", options.stream().map(o -> "'" + o + "'").toList());
        return "unknown option" + (options.size() > 1 ? "s " : " ") + names
                + (suggestions.isEmpty() ? "" : " (did you mean " + String.join(" or ", suggestions.subList(0, Math.min(3, suggestions.size()))) + "?)");
    }

    /** The arguments that look like options (before a value, {@code --x=v} counted by its name) the command does not know. */
    private static List<String> unknownOptions(CommandLine cmd, String[] args) {
        List<String> out = new ArrayList<>();
        CommandLine.Model.CommandSpec spec = cmd.getCommandSpec();
        for (String a : args) {
            if (!a.startsWith("--") || a.equals("--")) continue;
            String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            if (spec.findOption(name) == null && !spec.subcommands().containsKey(name)) out.add(name);
        }
        return out;
    }

    static String firstLine(String s) {
        return s == null ? "invalid arguments" : s.strip().lines().findFirst().orElse(s);
    }
}
