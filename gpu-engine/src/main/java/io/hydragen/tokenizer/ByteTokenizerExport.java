package io.hydragen.tokenizer;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hydragen.model.JsonFiles;

/**
 * The Hugging Face form of {@link ByteTokenizer}, for exported synthetic models: a BPE model with no merges and
 * {@code byte_fallback}, whose only single-character pieces are the 256 {@code <0xNN>} byte tokens (so every
 * character falls back to its UTF-8 bytes), a TemplateProcessing post-processor that puts {@code <s>} first, and
 * a ByteFallback + Fuse decoder. The pseudo-words of ids from 259 up are vocabulary entries too (never produced by
 * encoding, since nothing merges into them), so decoding a random model's output gives the same text.
 */
public final class ByteTokenizerExport {
    private ByteTokenizerExport() {}

    /** tokenizer.json for a model of {@code vocabSize} ids. */
    public static ObjectNode tokenizerJson(int vocabSize) {
        ObjectNode root = JsonFiles.MAPPER.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int id = 0; id < ByteTokenizer.SPECIALS.size(); id++) {
            ObjectNode t = added.addObject();
            t.put("id", id);
            t.put("content", ByteTokenizer.SPECIALS.get(id));
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        root.putNull("normalizer");
        root.putNull("pre_tokenizer");
        root.set("post_processor", postProcessor());
        ObjectNode decoder = root.putObject("decoder");
        decoder.put("type", "Sequence");
        ArrayNode decoders = decoder.putArray("decoders");
        decoders.addObject().put("type", "ByteFallback");
        decoders.addObject().put("type", "Fuse");
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", true);
        model.put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int id = 0; id < ByteTokenizer.SPECIALS.size(); id++) vocab.put(ByteTokenizer.SPECIALS.get(id), id);
        for (int b = 0; b < 256; b++) vocab.put(String.format("<0x%02X>", b), ByteTokenizer.BYTE_OFFSET + b);
        for (int id = ByteTokenizer.FIRST_WORD_ID; id < vocabSize; id++) vocab.put(ByteTokenizer.pseudoWord(id) + " ", id);
        model.putArray("merges");
        return root;
    }

    /** tokenizer_config.json naming the special tokens. */
    public static ObjectNode tokenizerConfig(int modelMaxLength) {
        ObjectNode n = JsonFiles.MAPPER.createObjectNode();
        n.put("tokenizer_class", "PreTrainedTokenizerFast");
        n.put("bos_token", "<s>");
        n.put("eos_token", "</s>");
        n.put("pad_token", "<pad>");
        n.put("add_bos_token", true);
        n.put("add_eos_token", false);
        n.put("clean_up_tokenization_spaces", false);
        n.put("model_max_length", modelMaxLength);
        return n;
    }

    private static ObjectNode postProcessor() {
        ObjectNode p = JsonFiles.MAPPER.createObjectNode();
        p.put("type", "TemplateProcessing");
        ArrayNode single = p.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = p.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode bos = p.putObject("special_tokens").putObject("<s>");
        bos.put("id", "<s>");
        bos.putArray("ids").add(ByteTokenizer.BOS);
        bos.putArray("tokens").add("<s>");
        return p;
    }
}
