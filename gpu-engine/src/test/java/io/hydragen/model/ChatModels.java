package io.hydragen.model;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A reference checkpoint of ../shared/models with a chat template of ../shared/chat-templates written into (a copy
 * of) its tokenizer_config.json; the other files are linked. Skipped where either folder is absent.
 */
public final class ChatModels {
    private ChatModels() {}

    public static Path templatesDir() {
        Path dir = SharedModels.modelsDir().getParent().resolve("chat-templates");
        assumeTrue(Files.isDirectory(dir), "shared chat templates " + dir + " not present");
        return dir;
    }

    /** {@code model} in {@code tmp}/{@code name}: its files linked, except {@code file}, written with {@code text}. */
    public static Path withFile(Path tmp, String model, String name, String file, String text) throws IOException {
        Path src = SharedModels.require(model);
        Path dir = Files.createDirectories(tmp.resolve(name));
        try (var files = Files.list(src)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String n = f.getFileName().toString();
                if (n.equals(file) || Files.exists(dir.resolve(n))) continue;
                Files.createSymbolicLink(dir.resolve(n), f.toAbsolutePath());
            }
        }
        Files.writeString(dir.resolve(file), text);
        return dir;
    }

    /** {@code model} (e.g. tiny-llama-sp) in {@code tmp}/{@code model}-chat with {@code template} (e.g. smollm2) as its chat_template. */
    public static Path withTemplate(Path tmp, String model, String template) throws IOException {
        Path src = SharedModels.require(model);
        Path templateFile = templatesDir().resolve(template + ".jinja");
        Path dir = Files.createDirectories(tmp.resolve(model + "-" + template));
        try (var files = Files.list(src)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String name = f.getFileName().toString();
                if (name.equals("tokenizer_config.json") || Files.exists(dir.resolve(name))) continue;
                Files.createSymbolicLink(dir.resolve(name), f.toAbsolutePath());
            }
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode cfg = (ObjectNode) json.readTree(src.resolve("tokenizer_config.json").toFile());
        cfg.put("chat_template", Files.readString(templateFile));
        json.writeValue(dir.resolve("tokenizer_config.json").toFile(), cfg);
        return dir;
    }
}
