package io.hydragen.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code hydragen} command line: {@code generate} completes a JSONL file of prompts, {@code score} scores candidate
 * continuations of prompts, {@code bench} measures
 * decode throughput per attention mode. Errors are one line on stderr ({@code hydragen: error: ...}) with exit
 * code 2 for what the user can fix and 1 otherwise; stdout carries only results.
 */
@Command(name = "hydragen", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Batch LLM inference with Hydragen shared-prefix attention.",
        subcommands = {CommandLine.HelpCommand.class},
        footer = {"", "Run 'hydragen COMMAND --help' for a command's options."})
public final class Main implements Callable<Integer> {
    /** The project version; {@code --version} prefers the jar manifest's when there is one. */
    static final String VERSION = "0.1.0-SNAPSHOT";

    @Spec
    CommandSpec spec;

    /** Inherited, so {@code hydragen generate --debug ...} works too. */
    @Option(names = "--debug", scope = ScopeType.INHERIT, description = "Print stack traces on errors.")
    boolean debug;

    public static void main(String[] args) {
        System.exit(run(Console.system(), args));
    }

    /** Runs the command line and returns the process exit code instead of exiting (tests call this). */
    public static int run(InputStream in, PrintStream out, PrintStream err, String... args) {
        return run(new Console(in, out, err, false), args);
    }

    public static int run(Console console, String... args) {
        // Charts are drawn off-screen; without this, AWT looks for a display.
        System.setProperty("java.awt.headless", "true");
        Main main = new Main();
        CommandLine cmd = new CommandLine(main);
        // the order of --help and of the "missing command" message: the work commands, then the benchmarks
        cmd.addSubcommand(new GenerateCommand(console));
        cmd.addSubcommand(new ScoreCommand(console));
        cmd.addSubcommand(new BenchCommand(console));
        cmd.addSubcommand(new BenchAttentionCommand(console));
        cmd.addSubcommand(new BenchScoreCommand(console));
        cmd.addSubcommand(new BenchConstraintCommand(console));
        cmd.setColorScheme(CommandLine.Help.defaultColorScheme(colour(console) ? CommandLine.Help.Ansi.AUTO : CommandLine.Help.Ansi.OFF));
        cmd.setOut(new PrintWriter(console.out(), true, StandardCharsets.UTF_8));
        cmd.setErr(new PrintWriter(console.err(), true, StandardCharsets.UTF_8));
        cmd.setParameterExceptionHandler((ex, a) -> {
            String help = ex.getCommandLine().getCommandSpec().qualifiedName() + " --help";
            console.err().println("hydragen: error: " + UsageMessage.of(ex, a) + " (see '" + help + "')");
            console.err().flush();
            return ErrorReport.USAGE;
        });
        cmd.setExecutionExceptionHandler((ex, c, parsed) ->
                ErrorReport.report(ex, console.err(), console.errIsTerminal(), main.debug || Arrays.asList(args).contains("--debug")));
        try {
            return cmd.execute(args);
        } catch (Error e) {
            // picocli hands only Exceptions to the handler above; an OutOfMemoryError still deserves one line.
            return ErrorReport.report(e, console.err(), console.errIsTerminal(), main.debug || Arrays.asList(args).contains("--debug"));
        } finally {
            console.out().flush();
            console.err().flush();
        }
    }

    @Override
    public Integer call() {
        // every command but picocli's help, so a new one is listed without editing this message
        List<String> commands = spec.subcommands().keySet().stream().filter(c -> !c.equals("help")).toList();
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: one of " + String.join(", ", commands));
    }

    /**
     * Colour in help only on a terminal: stdout is this process's own and a console is attached (Java 17: stdin and
     * stdout are terminals), and NO_COLOR (no-color.org) is not set.
     */
    static boolean colour(Console console) {
        return console.out() == System.out && System.console() != null && System.getenv("NO_COLOR") == null
                && !"dumb".equals(System.getenv("TERM"));
    }

    /** {@code hydragen --version}: the project version and the Java runtime it runs on. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {
                "hydragen " + (v != null ? v : VERSION),
                "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + "), "
                        + System.getProperty("os.name") + " " + System.getProperty("os.arch"),
            };
        }
    }
}
