#!/usr/bin/env python3
"""Regenerates expectations.json beside this file: what Hugging Face transformers' apply_chat_template renders.

The renderer is built exactly as transformers builds it (transformers/utils/chat_template_utils.py,
_compile_jinja_template and render_jinja_template): an ImmutableSandboxedEnvironment with trim_blocks and
lstrip_blocks, the loopcontrols extension and the {% generation %} tag (AssistantTracker, which renders its body when
no assistant mask is asked for), `tojson` as json.dumps(ensure_ascii=False, indent=..., separators=..., sort_keys=...),
and the raise_exception and strftime_now globals. It is called as transformers calls it:
render(messages=..., tools=None, documents=None, add_generation_prompt=..., **special_tokens_map), where
special_tokens_map holds only the tokens that are set (a null bos_token is left out, so it is undefined).

strftime_now reads a fixed clock, 2024-07-26 09:05:07, which the Java test injects as a java.time.Clock.

Usage (from the repository root, with ../shared/chat-templates present; needs only `pip install jinja2`):
    python3 gpu-engine/src/test/resources/chat/make_expectations.py
"""
import json
import os
import sys
from datetime import datetime

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", "..", ".."))
SHARED = os.path.join(ROOT, "..", "shared", "chat-templates")
FIXED_NOW = datetime(2024, 7, 26, 9, 5, 7)
TEMPLATES = ["llama3_1", "llama3_2", "qwen2_5", "mistral_v0_3", "gemma2", "smollm2"]


class AssistantTracker(Extension):
    """transformers' {% generation %} tag, without the assistant mask: renders its body."""
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_render", []), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(format):
    return FIXED_NOW.strftime(format)


def compile_template(source):
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[AssistantTracker, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env.from_string(source)


def render(template, messages, add_generation_prompt, special_tokens):
    try:
        return {"expected": template.render(messages=messages, tools=None, documents=None,
                                            add_generation_prompt=add_generation_prompt, **special_tokens)}
    except jinja2.exceptions.TemplateError as e:
        return {"error": str(e)}


def m(role, content):
    return {"role": role, "content": content}


CONVERSATIONS = {
    "user": [m("user", "What is the capital of France?")],
    "system_user": [m("system", "You are a helpful assistant."), m("user", "Hello!")],
    "multi_turn": [m("user", "Hi there"), m("assistant", "Hello! How can I help you today?"),
                   m("user", "Tell me a joke.")],
    "system_multi_turn": [m("system", "Answer briefly."), m("user", "2+2?"), m("assistant", "4"),
                          m("user", "And 3+3?")],
    "unicode": [m("user", "  Café, naïve, Größe — 日本語のテキスト, 中文, 한국어 😀👍🏽 \"quoted\" 'single' back\\slash\ttab\n"
                          "second line\u00a0"),
                m("assistant", "\u3000Ünïcödé «réponse» ‘curly’ 🎉\r\n"),
                m("user", "{{ not a template }} {% neither %} <|im_end|> \\n")],
    "empty_content": [m("user", "")],
    "empty_turns": [m("system", ""), m("user", ""), m("assistant", ""), m("user", " ")],
    "assistant_last": [m("user", "Say hi"), m("assistant", "Hi!")],
    "thinking": [m("user", "<tool_response>x</tool_response>"), m("user", "Why?"),
                 m("assistant", "<think>\nhmm\n</think>\n\nBecause."), m("user", "<tool_response>y")],
    "bad_order_user_user": [m("user", "one"), m("user", "two")],
    "bad_order_assistant_first": [m("assistant", "I speak first"), m("user", "ok")],
    "unknown_role": [m("user", "hi"), m("critic", "meh")],
}

# jinjava cannot tell Jinja2's none from undefined (both are null), so `{{ none }}` prints nothing (Jinja2: None)
# and `undefined is none` is true (Jinja2: false); chat templates print neither, so these are left out. String
# repetition ('x' * 3) is a jinjava error (its * is numeric only), and a test right after a filter
# (x | length is even) does not parse in jinjava: left out, or written with parentheses. loop.previtem and
# loop.nextitem do not exist in jinjava: left out.
# Small templates written for this project that exercise each Jinja2 behaviour jinjava lacks or does differently.
FEATURES = {
    "python_string_methods": (
        "{% for m in messages %}[{{ m.content.strip() }}|{{ m.content.startswith('He') }}|{{ m.content.endswith('!') }}"
        "|{{ m.content.upper() }}|{{ m.content.lower() }}|{{ m.content.title() }}|{{ m.content.split() | join('/') }}"
        "|{{ m.content.split('l') | length }}|{{ m.content.replace('l', 'L') }}|{{ m.content.lstrip() }}"
        "|{{ m.content.rstrip() }}|{{ m.role.capitalize() }}|{{ m.content.strip('! ') }}|{{ m.content.find('l') }}"
        "|{{ m.content.count('l') }}|{{ m.content.split('l', 1) | first }}|{{ m.content.rsplit(' ', 1) | last }}]{% endfor %}"),
    "python_string_methods_more": (
        "{% for m in messages %}[{{ m.content.splitlines() | length }}|{{ m.content.replace('e', 'E', 1) }}"
        "|{{ m.content.isdigit() }}|{{ '42'.isdigit() }}|{{ m.content.isspace() }}|{{ ' \\t'.isspace() }}"
        "|{{ m.content.startswith(('x', 'Hi', 'Tell')) }}|{{ m.content.rstrip('.!?') }}|{{ '-'.join(['a', 'b']) }}"
        "|{{ 'straße'.upper() }}|{{ 'hello world-foo'.title() }}|{{ 'hello world-foo' | title }}"
        "|{{ m.content.lower().split()[-1] }}|{{ m.content.rfind('o') }}|{{ m.content.rsplit(None, 1)[0] }}]{% endfor %}"),
    "nested_braces": (
        "{{ {'a': {'b': 1}} | tojson }}|{% set d = {'x': {'y': '}}%}'}} %}{{ d.x.y }}|{{ d['x'] | tojson }}"
        "|{{ {'k': [1, {'z': 2}]}['k'][1]['z'] }}|{{ ['}}', '{{'] | join }}|{{ '\\\\}}' }}|{{ \"it's {% raw %}\" }}|{{ {'a':1}}}|{% set e = {'b':{'c':2}}%}{{ e|tojson}}"),
    "idioms_of_other_families": (
        "{%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}\n"
        "{%- for message in messages[::-1] %}\n"
        "    {%- set index = (messages|length - 1) - loop.index0 %}\n"
        "    {%- if ns.multi_step_tool and message.role == 'user' and not message.content.startswith('<tool_response>') %}\n"
        "        {%- set ns.multi_step_tool = false %}\n"
        "        {%- set ns.last_query_index = index %}\n"
        "    {%- endif %}\n"
        "{%- endfor %}\n"
        "last_query={{ ns.last_query_index }}\n"
        "{% for message in messages if message.role != 'system' %}\n"
        "    {%- set content = message.content %}\n"
        "    {%- if '</think>' in content %}{% set content = content.split('</think>')[-1].lstrip('\\n') %}{% endif %}\n"
        "{{ '<|' + message['role'] + '|>' + '\\n' + content + '<|end|>\\n' }}\n"
        "{%- if loop.index0 == 0 and not loop.last %}[first of {{ loop.length }}]{% endif %}\n"
        "{% endfor %}\n"
        "{%- if messages[-1]['role'] == 'assistant' %}{{ messages[-1]['content'][-3:] }}{% else %}{{ '<|assistant|>' }}{% endif %}\n"
        "{{ messages | map(attribute='content') | map('length') | list }}|{{ messages | selectattr('role', 'in', ['user', 'system']) | list | length }}"),
    "more_idioms": (
        "{% set header %}[{{ messages | length }} turns]{% endset %}{{ header }}\n"
        "{% for m in messages %}{{ loop.revindex }}/{{ loop.revindex0 }}:"
        "{% if m.role == 'system' %}S{% elif m.role == 'user' %}U{% else %}A{% endif %}"
        "{{ ' first' if loop.first }}{% if m.role not in ['user', 'system'] %}!{% endif %};{% endfor %}\n"
        "{% for i in range(messages | length) %}{{ i }}{{ messages[i].role[0] }}{% endfor %}|{{ range(1, 7, 2) | list }}\n"
        "{{ messages | map(attribute='role') | unique | list }}|{{ messages | reverse | map(attribute='role') | first }}"
        "|{{ '3' | int + 1 }}|{{ '2.5' | float }}|{{ 2.567 | round(1) }}|{{ -3 | abs }}|{{ 42 | string + '!' }}"
        "|{{ 'a\\nb' | indent(2) }}|{{ 'x,y' | replace(',', ';') }}|{{ none | default('d', true) }}|{{ '' | default('e', true) }}"
        "|{{ messages[0].content | wordcount }}|{{ [1, 2, 3] | join(', ') }}|{{ 'ab' ~ 1 }}"
        "|{{ messages | selectattr('content') | list | length }}|{{ (messages | first).content[:5] | upper }}"),
    "tojson_options": (
        "{{ messages[0] | tojson(sort_keys=true) }}|{{ messages[0] | tojson(separators=(',', ':')) }}"
        "|{{ messages[0] | tojson(indent='\\t') }}|{{ messages[0] | tojson(ensure_ascii=true) }}"),
    "tojson": (
        "{{ messages | tojson }}\n{{ messages[0] | tojson(indent=2) }}\n"
        "{{ {'a': 1.5, 'b': [true, none, 'é\\n\"\\\\\\t'], 'c': 10, 'd': -0.25} | tojson }}\n"
        "{{ [0.00001, 1e16, 1e15, 0.1, 100.0, 123456789.0, 1.5e300, -0.0, 0.1 + 0.2, 2.5e-7] | tojson }}{{ 0.1 + 0.2 }}\n"
        "{{ 'x' | tojson }}{{ 3 | tojson }}{{ [] | tojson(indent=4) }}{{ {} | tojson }}{{ [1, [2, {'k': 'v'}]] | tojson(indent=1) }}"),
    "namespace_loop_controls": (
        "{%- set ns = namespace(count=0, last='', found=false) %}\n"
        "{%- for m in messages %}\n"
        "    {%- if m.role == 'system' %}{% continue %}{% endif %}\n"
        "    {%- set ns.count = ns.count + 1 %}\n"
        "    {%- set ns.last = m.content %}\n"
        "    {%- if m.role == 'assistant' %}{% set ns.found = true %}{% endif %}\n"
        "    {{- loop.index }}:{{ loop.index0 }}:{{ loop.first }}:{{ loop.last }}:{{ loop.length }};\n"
        "    {%- if loop.index0 >= 2 %}{% break %}{% endif %}\n"
        "{%- endfor %}\n"
        "{{- ns.count }}|{{ ns.last }}|{{ ns.found }}"),
    "strftime_now": ("{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d %H:%M:%S %a %A %B %j %p %I %y %%') }}|"
                     "{{ strftime_now('%e|%-d|%-m|%c|%x|%X|%U|%W|%w|%u|%G|%V|%C|%D|%F|%T|%R|%z|%Z|%h|%-I%p|%f') }}"),
    "slicing_and_length": (
        "{{ messages[1:] | length }}|{{ messages[:-1] | length }}|{{ messages[-1].content }}|{{ messages[0].content[:3] }}"
        "|{{ messages[0].content[-2:] }}|{{ messages[0].content | length }}|{{ messages[0]['content'][1] }}"
        "|{{ (messages | last).role }}|{{ messages[::-1][0].role }}"),
    "whitespace_control": (
        "<start>\n"
        "{# a comment line #}\n"
        "    {% for m in messages %}\n"
        "        {% if m.role == 'user' %}\n"
        "U: {{ m.content }}\n"
        "        {% else %}\n"
        "O: {{ m.content }}\n"
        "        {% endif %}\n"
        "    {% endfor %}\n"
        "  {#- trimmed comment -#}  \n"
        "{% if add_generation_prompt %}  GEN  {% endif %}\n"
        "{{- ' x ' -}}\n"
        "  y {{ 'z' }}\n"
        "    {%+ if true %}kept indent{% endif %}\n"
        " \u3000\t{% if true %}lstripped unicode space{% endif %}\n"
        "{%- raw %}{{ raw }}{% endraw %}\n"
        "end"),
    "values_none_bool_defined": (
        "[{{ true }}|{{ false }}|{{ 1 == 1 }}|{{ undefined_var }}|{{ undefined_var is defined }}"
        "|{{ messages[0].missing is defined }}|{{ messages[0].missing }}|{{ messages[0].role is defined }}"
        "|{{ 'role' in messages[0] }}|{{ 'tool_calls' in messages[0] }}"
        "|{{ none is none }}|{{ messages[0].content is string }}|{{ messages is iterable }}|{{ messages[0] is mapping }}"
        "|{{ 7 // 2 }}|{{ 7 / 2 }}|{{ 7 % 3 }}|{{ 2 ** 3 }}|{{ 1.0 }}|{{ [1, 'a'] }}|{{ (1, 2) | list }}]"),
    "concat_and_filter_precedence": (
        "{% for m in messages %}{{ '<' + m.role + '>\\n' + m.content | trim + '</>' ~ loop.index }}"
        "{{ m.content | trim | upper | replace('A', '4') }}{% endfor %}"),
    "dict_methods": (
        "{% for m in messages %}{% for k, v in m.items() %}{{ k }}={{ v }};{% endfor %}"
        "{{ m.get('role') }}/{{ m.get('missing', 'dflt') }}/{{ m.keys() | list | join(',') }}/"
        "{{ m.values() | list | length }}{% for k, v in m | items %}({{ k }}:{{ v }}){% endfor %}{% endfor %}"),
    "filters_misc": (
        "{{ messages | selectattr('role', 'equalto', 'user') | list | length }}|"
        "{{ messages | map(attribute='role') | join(',') }}|{{ messages | rejectattr('role', 'equalto', 'user') | list | length }}|"
        "{{ 'abc' | capitalize }}|{{ 'a b' | title }}|{{ ['b', 'a'] | sort | join }}|"
        "{{ '%s-%d' | format('x', 3) }}|{{ 'a' | default('b') }}|{{ nothing | default('dflt') }}|"
        "{{ messages[0].content | string | length }}|{{ [3, 1, 2] | max }}|{{ 'AbC' | lower }}|{{ '  x ' | trim }}|"
        "{{ ' x ' | trim('x ') }}|{{ range(3) | list | join }}|{{ [1, 2] | sum }}|{{ (messages | length) is divisibleby 2 }}"),
    "generation_tag": (
        "{% for m in messages %}{% if m.role == 'assistant' %}{% generation %}A:{{ m.content }}{% endgeneration %}"
        "{% else %}U:{{ m.content }}{% endif %}\n{% endfor %}"),
    "raise_in_macro": (
        "{% macro tag(role, suffix='>', upper=false) %}<{{ role.upper() if upper else role }}{{ suffix }}{% endmacro %}"
        "{{ tag('a') }}{{ tag('b', suffix=')' ) }}{{ tag(role='c', upper=true) }}"
        "{% macro check(m) %}{% if m.role not in ['user', 'assistant', 'system'] %}"
        "{{ raise_exception('Unknown role: ' + m.role) }}{% endif %}{% endmacro %}"
        "{% for m in messages %}{{ check(m) }}{{ m.role }};{% endfor %}"),
    "crlf_source_and_final_newline": "{% for m in messages %}\r\n  {{ m.role }}\r\n{% endfor %}\r\n{{ 'end' }}\r\n",
    "special_tokens": "{{ bos_token }}|{{ eos_token }}|{{ unk_token }}|{{ pad_token }}|{{ pad_token is defined }}",
}

FEATURE_CASES = {
    "python_string_methods": ["multi_turn", "unicode"],
    "tojson": ["system_user", "unicode"],
    "python_string_methods_more": ["multi_turn", "unicode"],
    "nested_braces": ["user"],
    "tojson_options": ["unicode"],
    "more_idioms": ["system_multi_turn", "empty_turns"],
    "idioms_of_other_families": ["system_multi_turn", "assistant_last", "thinking"],
    "namespace_loop_controls": ["system_multi_turn", "multi_turn"],
    "strftime_now": ["user"],
    "slicing_and_length": ["system_user", "unicode", "multi_turn"],
    "whitespace_control": ["multi_turn"],
    "values_none_bool_defined": ["user"],
    "concat_and_filter_precedence": ["unicode", "empty_turns"],
    "dict_methods": ["system_user"],
    "filters_misc": ["multi_turn"],
    "generation_tag": ["multi_turn"],
    "raise_in_macro": ["system_user", "unknown_role"],
    "special_tokens": ["user"],
    "crlf_source_and_final_newline": ["multi_turn"],
}
FEATURE_TOKENS = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}


def main():
    if not os.path.isdir(SHARED):
        sys.exit(f"{SHARED} not found")
    out = {
        "about": "Made by make_expectations.py with Jinja2 " + jinja2.__version__ + " set up and called as transformers' "
                 "apply_chat_template does; strftime_now reads the fixed clock " + FIXED_NOW.isoformat() + ".",
        "clock": FIXED_NOW.isoformat(),
        "conversations": CONVERSATIONS,
        "templates": {},
        "features": {},
    }
    for name in TEMPLATES:
        with open(os.path.join(SHARED, name + ".jinja"), encoding="utf-8", newline="") as f:
            source = f.read()
        with open(os.path.join(SHARED, name + ".json"), encoding="utf-8") as f:
            meta = json.load(f)
        tokens = {k: v for k, v in meta.items() if k.endswith("_token") and v is not None}
        template = compile_template(source)
        cases = []
        for conv, messages in CONVERSATIONS.items():
            for agp in (True, False):
                cases.append({"conversation": conv, "add_generation_prompt": agp,
                              **render(template, messages, agp, tokens)})
        out["templates"][name] = {"special_tokens": tokens, "cases": cases}
    for name, source in FEATURES.items():
        template = compile_template(source)
        cases = []
        for conv in FEATURE_CASES[name]:
            for agp in (True, False):
                cases.append({"conversation": conv, "add_generation_prompt": agp,
                              **render(template, CONVERSATIONS[conv], agp, FEATURE_TOKENS)})
        out["features"][name] = {"template": source, "special_tokens": FEATURE_TOKENS, "cases": cases}
    with open(os.path.join(HERE, "expectations.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
