package io.hydragen.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.InterpreterFactory;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import com.hubspot.jinjava.util.ObjectTruthValue;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import jinjava.javax.el.CompositeELResolver;

/**
 * A model's chat template, compiled once, rendering a conversation to the prompt text exactly as Hugging Face
 * transformers' {@code apply_chat_template(messages, tokenize=False, add_generation_prompt=...)} does.
 *
 * <p>transformers renders with Jinja2: an {@code ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)}
 * with loop controls, {@code raise_exception}, {@code strftime_now}, a {@code tojson} that is Python's
 * {@code json.dumps(ensure_ascii=False)}, and the tokenizer's special tokens as variables. This class runs the template
 * on jinjava, configured and extended where jinjava differs from Jinja2:
 * <ul>
 *   <li>jinjava renders the output of an expression again as a template by default (a user message
 *       {@code "{{ x }}"} would be evaluated): turned off;</li>
 *   <li>whitespace (trim_blocks, lstrip_blocks, {@code -} and {@code +} markers, newline normalization, the dropped
 *       final newline): done before parsing by {@link Jinja2Lexer} as Jinja2's lexer does it, jinjava's own off
 *       (jinjava let {@code {{-} strip inside a closed block, ignored {@code {%+}, kept the last newline);</li>
 *   <li>Python operator precedence ({@code 'a' + x | trim} filters {@code x} only), iterating a dict over its keys:
 *       {@link LegacyOverrides};</li>
 *   <li>things jinjava parses differently, rewritten by {@link Jinja2Lexer}: step slices {@code x[::-1]} (a parse
 *       error), loop filters {@code {% for m in messages if cond %}} (the condition was ignored), keyword arguments
 *       {@code namespace(i=n - 1)} (read as {@code (i=n) - 1}), {@code }}} of nested dicts and tag delimiters inside
 *       string literals (taken for the tag's end);</li>
 *   <li>Python {@code str}/{@code dict} methods ({@code strip}, {@code startswith}, {@code split}, {@code title},
 *       {@code items}, {@code get}, ...) and indexing a string ({@code s[0]}): {@link PyMethodResolver}, ahead of
 *       jinjava's Java-reflection calls;</li>
 *   <li>filters {@code tojson} (Python's json.dumps), {@code trim} (Unicode whitespace), {@code length} (code
 *       points), {@code capitalize}, {@code title}, {@code sum} (integers stay integers), {@code min}/{@code max}
 *       (missing in effect) and {@code items} (missing): {@link Jinja2Filters} replace or add them;</li>
 *   <li>an unknown filter is an error when compiling, as in Jinja2 (jinjava passes the value through); jinjava's
 *       fatal errors (unknown function, syntax) fail the render with the template's line;</li>
 *   <li>printing Python values ({@code True}, {@code 1.0}, {@code ['a']}): an interpreter whose
 *       {@code getAsString} is Python's {@code str()} ({@link PyValues});</li>
 *   <li>{@code raise_exception(msg)} and {@code strftime_now(fmt)} globals, and the {@code {% generation %}} block
 *       of transformers' assistant-mask extension (rendered as its body).</li>
 * </ul>
 * Known remaining differences are listed in the package documentation.
 *
 * <p>Thread-safe: the parsed tree is shared, each {@link #render} call has its own interpreter.
 */
public final class ChatTemplate {
    /** Special tokens transformers passes to the template (its SPECIAL_TOKENS_ATTRIBUTES). */
    public static final List<String> SPECIAL_TOKEN_NAMES = List.of("bos_token", "eos_token", "unk_token", "sep_token",
            "pad_token", "cls_token", "mask_token", "additional_special_tokens");

    private static final ThreadLocal<RenderState> STATE = new ThreadLocal<>();
    private static final Jinjava JINJAVA = newJinjava();

    private final String source;
    private final String origin;
    private final Map<String, Object> specialTokens;
    private final Clock clock;
    private final Node root;
    private final Jinja2Lexer.Result lexed;

    private ChatTemplate(String source, String origin, Map<String, ?> specialTokens, Clock clock) {
        this.source = Objects.requireNonNull(source, "source");
        this.origin = origin == null ? "chat template" : origin;
        Map<String, Object> tokens = new LinkedHashMap<>();
        if (specialTokens != null) specialTokens.forEach((k, v) -> { if (v != null) tokens.put(k, v); });
        this.specialTokens = Collections.unmodifiableMap(tokens);
        this.clock = Objects.requireNonNull(clock, "clock");
        try {
            this.lexed = Jinja2Lexer.preprocess(source);
        } catch (ChatTemplateException e) {
            throw new ChatTemplateException(this.origin + ": " + e.getMessage(), e);
        }
        // Jinja2 refuses an unknown filter when compiling; jinjava would pass the value through unfiltered
        for (Map.Entry<String, Integer> f : lexed.filters().entrySet()) {
            if (JINJAVA.getGlobalContext().getFilter(f.getKey()) == null) {
                throw new ChatTemplateException(this.origin + ": No filter named '" + f.getKey() + "' (line " + f.getValue() + ")");
            }
        }
        JinjavaInterpreter interpreter = newInterpreter(Map.of());
        JinjavaInterpreter.pushCurrent(interpreter);
        try {
            this.root = interpreter.parse(lexed.text());
        } catch (RuntimeException e) {
            throw new ChatTemplateException(this.origin + ": " + e.getMessage(), e);
        } finally {
            JinjavaInterpreter.popCurrent();
        }
        failOnErrors(interpreter.getErrors());
    }

    /** Compiles a template whose {@code strftime_now} reads the system clock. */
    public static ChatTemplate compile(String source, Map<String, ?> specialTokens) {
        return compile(source, specialTokens, Clock.systemDefaultZone(), null);
    }

    /**
     * @param specialTokens variables such as {@code bos_token}; null values are left out (undefined), as
     *                      transformers leaves out unset special tokens
     * @param clock         what {@code strftime_now} reads (local time in the clock's zone)
     * @param origin        names the template in errors (a file), or null
     * @throws ChatTemplateException when the template does not parse
     */
    public static ChatTemplate compile(String source, Map<String, ?> specialTokens, Clock clock, String origin) {
        return new ChatTemplate(source, origin, specialTokens, clock);
    }

    /** The same template with another clock (tests fix the date that {@code strftime_now} returns). */
    public ChatTemplate withClock(Clock clock) {
        return new ChatTemplate(source, origin, specialTokens, clock);
    }

    public String source() { return source; }

    public Map<String, Object> specialTokens() { return specialTokens; }

    /** Renders with {@code add_generation_prompt=true}, the default for a row's {@code messages}. */
    public String render(List<ChatMessage> messages) {
        return render(messages, true);
    }

    /**
     * Renders a conversation as transformers does, with {@code messages}, {@code add_generation_prompt} and the special
     * tokens as variables.
     *
     * @throws ChatTemplateException with the template's {@code raise_exception} message when it rejects the
     *                               conversation, or the Jinja error and its line
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> msgs = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role());
            map.put("content", m.content());
            msgs.add(map);
        }
        Map<String, Object> vars = new LinkedHashMap<>(specialTokens);
        vars.put("messages", msgs);
        vars.put("add_generation_prompt", addGenerationPrompt);
        return renderWith(vars);
    }

    /** Renders with any variables (special tokens are added unless given); for callers with tools or extra kwargs. */
    public String renderWith(Map<String, ?> variables) {
        Map<String, Object> vars = new LinkedHashMap<>(specialTokens);
        vars.putAll(variables);
        RenderState state = new RenderState(clock);
        RenderState previous = STATE.get();
        STATE.set(state);
        JinjavaInterpreter interpreter = newInterpreter(vars);
        JinjavaInterpreter.pushCurrent(interpreter);
        String out;
        try {
            out = interpreter.render(root);
        } catch (RuntimeException e) {
            if (state.raised != null) throw new ChatTemplateException(state.raised, e);
            throw new ChatTemplateException(origin + ": " + e.getMessage(), e);
        } finally {
            JinjavaInterpreter.popCurrent();
            if (previous == null) STATE.remove();
            else STATE.set(previous);
        }
        if (state.raised != null) throw new ChatTemplateException(state.raised);
        failOnErrors(interpreter.getErrors());
        return out;
    }

    /** jinjava collects errors and goes on; a fatal one (syntax, unknown function or tag) fails the render. */
    private void failOnErrors(List<TemplateError> errors) {
        for (TemplateError e : errors) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                String line = e.getLineno() > 0 ? " (line " + e.getLineno() + ")" : "";
                throw new ChatTemplateException(origin + ": " + e.getMessage() + line);
            }
        }
    }

    private static JinjavaInterpreter newInterpreter(Map<String, ?> vars) {
        Context context = new Context(JINJAVA.getGlobalContextCopy(), vars, JINJAVA.getGlobalConfig().getDisabled());
        return JINJAVA.getGlobalConfig().getInterpreterFactory().newInstance(JINJAVA, context, JINJAVA.getGlobalConfig());
    }

    // ---------------------------------------------------------------- the configured jinjava

    private static Jinjava newJinjava() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PyMethodResolver());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        LegacyOverrides overrides = LegacyOverrides.newBuilder()
                .withEvaluateMapKeys(true)
                .withIterateOverMapKeys(true)
                .withUsePyishObjectMapper(true)
                .withUseNaturalOperatorPrecedence(true)
                .withParseWhitespaceControlStrictly(true)
                .withAllowAdjacentTextNodes(true)
                .withKeepNullableLoopValues(true)
                .build();
        JinjavaConfig config = JinjavaConfig.newBuilder()
                // whitespace control is done by Jinja2Lexer, as Jinja2's lexer does it
                .withTrimBlocks(false)
                .withLstripBlocks(false)
                // never render the output of an expression again: a message saying "{{ x }}" is text
                .withNestedInterpretationEnabled(false)
                .withLegacyOverrides(overrides)
                .withElResolver(resolver)
                .withInterperterFactory(new PyInterpreterFactory())
                .withMaxOutputSize(0)
                .build();
        Jinjava jinjava = new Jinjava(config);
        for (Filter f : Jinja2Filters.all()) jinjava.getGlobalContext().registerFilter(f);
        jinjava.getGlobalContext().registerTag(new GenerationTag());
        try {
            jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                    ChatTemplate.class.getDeclaredMethod("raiseException", Object.class)));
            jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now",
                    ChatTemplate.class.getDeclaredMethod("strftimeNow", String.class)));
            jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", Jinja2Lexer.LOOP_FILTER_FUNCTION,
                    ChatTemplate.class.getDeclaredMethod("loopFilter", Object.class, String.class, String.class)));
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
        return jinjava;
    }

    /** The template's {@code raise_exception(msg)}: the message becomes the render's error. */
    public static Object raiseException(Object message) {
        String msg = message == null ? "None" : PyValues.str(message);
        RenderState state = STATE.get();
        if (state != null && state.raised == null) state.raised = msg;
        throw new IllegalStateException(msg);
    }

    /** The template's {@code strftime_now(fmt)}: Python's {@code datetime.now().strftime(fmt)} on the template's clock. */
    public static String strftimeNow(String format) {
        RenderState state = STATE.get();
        Clock clock = state == null ? Clock.systemDefaultZone() : state.clock;
        return Strftime.format(ZonedDateTime.now(clock), format == null ? "None" : format);
    }

    /**
     * The items of {@code {% for vars in items if cond %}} for which {@code cond} holds with the loop variables bound
     * (see {@link Jinja2Lexer}); a mapping gives its keys, as a for loop over it does.
     */
    public static List<Object> loopFilter(Object items, String vars, String cond) {
        JinjavaInterpreter interpreter = JinjavaInterpreter.getCurrent();
        List<String> names = new ArrayList<>();
        for (String n : vars.split(",")) if (!n.isBlank()) names.add(n.strip());
        List<Object> out = new ArrayList<>();
        Iterable<?> all = items instanceof Map<?, ?> m ? m.keySet() : items instanceof Iterable<?> it ? it : List.of();
        for (Object item : all) {
            try (var scope = interpreter.enterScope()) {
                if (names.size() == 1) {
                    interpreter.getContext().put(names.get(0), item);
                } else {
                    List<Object> parts = new ArrayList<>();
                    if (item instanceof Map.Entry<?, ?> e) {
                        parts.add(e.getKey());
                        parts.add(e.getValue());
                    } else if (item instanceof Iterable<?> it) {
                        for (Object o : it) parts.add(o);
                    }
                    if (parts.size() != names.size()) {
                        throw new IllegalArgumentException("cannot unpack " + PyValues.repr(item) + " into " + vars);
                    }
                    for (int i = 0; i < names.size(); i++) interpreter.getContext().put(names.get(i), parts.get(i));
                }
                if (ObjectTruthValue.evaluate(interpreter.resolveELExpression(cond, interpreter.getLineNumber()))) {
                    out.add(item);
                }
            }
        }
        return out;
    }

    private static final class RenderState {
        final Clock clock;
        String raised;

        RenderState(Clock clock) { this.clock = clock; }
    }

    /** An interpreter that prints values as Python's {@code str()} does ({@code True}, {@code ['a', 1]}). */
    static final class PyInterpreter extends JinjavaInterpreter {
        PyInterpreter(Jinjava application, Context context, JinjavaConfig config) { super(application, context, config); }

        PyInterpreter(JinjavaInterpreter orig) { super(orig); }

        @Override
        public String getAsString(Object object) { return PyValues.str(object); }
    }

    static final class PyInterpreterFactory implements InterpreterFactory {
        @Override
        public JinjavaInterpreter newInstance(JinjavaInterpreter orig) { return new PyInterpreter(orig); }

        @Override
        public JinjavaInterpreter newInstance(Jinjava application, Context context, JinjavaConfig config) {
            return new PyInterpreter(application, context, config);
        }
    }

    /** transformers' {@code {% generation %}...{% endgeneration %}} (assistant-token tracking): renders its body. */
    static final class GenerationTag implements Tag {
        @Override public String getName() { return "generation"; }

        @Override
        public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
            StringBuilder b = new StringBuilder();
            for (Node child : tagNode.getChildren()) b.append(child.render(interpreter).getValue());
            return b.toString();
        }
    }
}
