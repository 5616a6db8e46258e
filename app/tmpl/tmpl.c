/* SPDX-License-Identifier: MIT */
/* tmpl: a Mustache engine that compiles each template once to an op array.
 *
 * Compiling is three passes over one source: a lexer cuts it into text and
 * tag tokens (following set-delimiter tags); a structure pass pairs each
 * section, block and parent with its end and applies the standalone-line
 * rules; an emitter walks the tokens with a section stack and writes
 * `struct tmpl_op {op, arg, jump}` entries, sections linked to their ends,
 * dotted names split, text copied into the template's pool. tmpl_set_link
 * resolves partial and parent names once, so rendering is a plain switch
 * over ops with a context stack on the C stack: no allocation but the
 * caller's output buffer. A set owns its templates and they own all their
 * arrays; once linked it is only read, so threads render from it at once.
 * Caveat: interpolating a json-c object or array caches its JSON text in
 * that (request-owned) object, as json-c does.
 */
#include "tmpl/tmpl.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <pthread.h>

#include "core/buf.h"
#include "core/limits.h"
#include "core/xalloc.h"

/* Rendering limits of this module only (the shared ones are in limits.h).
 * Partial recursion is already capped by TMPL_PARTIAL_DEPTH_MAX, but a tree
 * of distinct partials can still fan out exponentially: the step and output
 * caps bound the work of one render whatever the templates do. */
#define RENDER_CONTEXT_MAX 128                  /* sections open at once */
#define RENDER_STEPS_MAX (1UL << 24)            /* ops executed per render */
#define RENDER_OUTPUT_MAX (64UL * 1024 * 1024)  /* bytes one render appends */
#define DELIM_MAX 16                            /* bytes of a set delimiter */
#define LOAD_DIR_DEPTH_MAX 16                   /* directory levels loaded */
#define TMPL_EXT ".mustache"
#define NUMBER_MAX 40       /* a formatted int64 or double, with the NUL */
#define DOUBLE_DIGITS_MIN 15  /* tried first: prints 1.21 as "1.21" */
#define DOUBLE_DIGITS_MAX 17  /* always enough to round-trip a double */
#define NOT_FOUND SIZE_MAX
#define GROW_FIRST 16 /* first capacity of a growing compile-time array */

/* ======================================================================
 * Compiled form
 * ==================================================================== */

enum opcode {
    OP_TEXT,     /* arg: pool offset, len: bytes */
    OP_VAR,      /* arg: first name part, nparts (0 means ".") */
    OP_SECTION,  /* name as OP_VAR; jump: the op after its OP_END */
    OP_INVERTED, /* name as OP_VAR; jump: the op after its OP_END */
    OP_END,      /* jump: its opening op */
    OP_PARTIAL,  /* arg: call */
    OP_PARENT,   /* arg: call; jump: the op after its OP_END; the ops in
                    between are its OP_BLOCK overrides and nothing else */
    OP_BLOCK,    /* arg: call (name, indentation); jump: after its OP_END */
};

enum op_flag {
    OPF_LINE_START = 1 << 0, /* first thing on a source line: indent first */
    OPF_INNER_NL = 1 << 1,   /* text with a newline before its last byte */
    OPF_RAW = 1 << 2,        /* {{{x}}} or {{&x}}: no HTML escaping */
    OPF_STANDALONE = 1 << 3, /* partial, parent or block alone on its line */
};

struct tmpl_op {
    uint8_t op;
    uint8_t flags;
    uint16_t nparts;
    uint32_t arg;
    uint32_t len;
    uint32_t jump;
};

/* One part of a dotted name, NUL-terminated in the pool for json-c. */
struct part {
    uint32_t off, len;
    unsigned long hash; /* json-c's hash of the name, for lookups (key_hash) */
};

/* A partial, parent or block tag: what rendering needs beyond the op. */
struct call {
    uint32_t name, name_len;     /* pool */
    uint32_t indent, indent_len; /* pool: added before each line it renders */
    uint32_t line, col;          /* of the tag, for link errors */
    const struct tmpl *target;   /* partial/parent, set by tmpl_set_link */
};

struct tmpl {
    char *name; /* what partials call it */
    char *file; /* what messages call it: the path, or the name */
    struct tmpl_op *ops;
    uint32_t nops;
    struct call *calls;
    struct part *parts;
    char *pool;
};

struct tmpl_set {
    struct tmpl **v;
    size_t n, cap;
    bool linked; /* v is sorted by name and every call resolved */
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static void *grow(void *v, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return v;
    size_t ncap = *cap ? *cap * 2 : GROW_FIRST;
    while (ncap < need)
        ncap *= 2;
    *cap = ncap;
    return xrealloc(v, ncap * size);
}

static bool is_blank(char ch)
{
    return ch == ' ' || ch == '\t';
}

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* Length of the longest common prefix of a (alen) and b (blen). */
static size_t common_prefix(const char *a, size_t alen, const char *b,
                            size_t blen)
{
    size_t k = 0;
    while (k < alen && k < blen && a[k] == b[k])
        k++;
    return k;
}

/* ======================================================================
 * Compiler state and tokens
 * ==================================================================== */

enum tok_type {
    TOK_TEXT,
    TOK_VAR,
    TOK_RAW,
    TOK_SECTION,
    TOK_INVERTED,
    TOK_END,
    TOK_COMMENT,
    TOK_DELIM,
    TOK_PARTIAL,
    TOK_PARENT,
    TOK_BLOCK,
};

struct token {
    uint8_t type;
    bool standalone; /* its line leaves nothing in the output */
    bool block_pair; /* {{$b}}{{/b}} alone on a line: indented, newline kept */
    uint32_t start, end;     /* text (after trimming), or the whole tag */
    uint32_t name, name_len; /* trimmed tag content */
    uint32_t match;          /* opening tag <-> its closing tag */
};

/* Where emitted text goes inside a parent tag: overrides are kept, the
 * rest of a parent's content is ignored, as the spec says. */
enum emit_mode { MODE_BODY, MODE_ARGS };

struct compiler {
    const char *file;
    const char *src;
    size_t len;
    char *err;
    size_t errlen;

    struct token *toks;
    size_t ntoks, tok_cap;
    const char *open_delim, *close_delim;
    size_t open_len, close_len;
    size_t loc_off, loc_line, loc_line_start; /* locate()'s cursor */

    struct tmpl_op *ops;
    size_t nops, op_cap;
    struct call *calls;
    size_t ncalls, call_cap;
    struct part *parts;
    size_t nparts, part_cap;
    char *pool;
    size_t pool_len, pool_cap;
};

static void compiler_cleanup(struct compiler *c)
{
    free(c->toks);
    free(c->ops);
    free(c->calls);
    free(c->parts);
    free(c->pool);
    c->toks = NULL;
    c->ops = NULL;
    c->calls = NULL;
    c->parts = NULL;
    c->pool = NULL;
}

/* Line and column (1-based, in bytes) of off. Calls come in increasing
 * order but for errors, so the cursor only restarts for those. */
static void locate(struct compiler *c, size_t off, unsigned *line,
                   unsigned *col)
{
    if (off < c->loc_off) {
        c->loc_off = 0;
        c->loc_line = 1;
        c->loc_line_start = 0;
    }
    while (c->loc_off < off) {
        const char *nl = memchr(c->src + c->loc_off, '\n', off - c->loc_off);
        if (!nl) {
            c->loc_off = off;
            break;
        }
        c->loc_line++;
        c->loc_line_start = (size_t)(nl - c->src) + 1;
        c->loc_off = c->loc_line_start;
    }
    *line = (unsigned)c->loc_line;
    *col = (unsigned)(off - c->loc_line_start + 1);
}

/* message_after writes fmt's message into err after the used bytes of the
 * prefix the caller wrote there (snprintf's answer), when it fits. */
static void message_after(char *err, size_t errlen, int used, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static void message_after(char *err, size_t errlen, int used, const char *fmt, va_list ap)
{
    if (used >= 0 && (size_t)used < errlen)
        vsnprintf(err + used, errlen - (size_t)used, fmt, ap);
}

static int cfail(struct compiler *c, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int cfail(struct compiler *c, size_t off, const char *fmt, ...)
{
    if (!c->err || !c->errlen)
        return -1;
    unsigned line, col;
    locate(c, off, &line, &col);
    int n = snprintf(c->err, c->errlen, "%s:%u:%u: ", c->file, line, col);
    va_list ap;
    va_start(ap, fmt);
    message_after(c->err, c->errlen, n, fmt, ap);
    va_end(ap);
    return -1;
}

/* The sigil a tag type is written with, for messages. */
static const char *sigil_of(int type)
{
    switch (type) {
    case TOK_SECTION: return "#";
    case TOK_INVERTED: return "^";
    case TOK_END: return "/";
    case TOK_PARTIAL: return ">";
    case TOK_PARENT: return "<";
    case TOK_BLOCK: return "$";
    case TOK_RAW: return "&";
    case TOK_COMMENT: return "!";
    case TOK_DELIM: return "=";
    case TOK_VAR:
    case TOK_TEXT: return "";
    default: assert(!"unknown token type"); return "?";
    }
}

static struct token *push_token(struct compiler *c, int type, size_t start,
                                size_t end)
{
    c->toks = grow(c->toks, &c->tok_cap, c->ntoks + 1, sizeof *c->toks);
    struct token *t = &c->toks[c->ntoks++];
    memset(t, 0, sizeof *t);
    t->type = (uint8_t)type;
    t->start = (uint32_t)start;
    t->end = (uint32_t)end;
    return t;
}

/* ======================================================================
 * Pass 1: the lexer
 * ==================================================================== */

/* Position of the closing delimiter at or after from, or NOT_FOUND. With a
 * guard ('}' of {{{x}}}, '=' of {{=a b=}}) the byte before the delimiter
 * must be the guard, which then belongs to the closing sequence. */
static size_t find_close(const struct compiler *c, size_t from, char guard)
{
    size_t at = from;
    while (at <= c->len) {
        const char *hit =
            memmem(c->src + at, c->len - at, c->close_delim, c->close_len);
        if (!hit)
            return NOT_FOUND;
        size_t pos = (size_t)(hit - c->src);
        if (!guard || (pos > from && c->src[pos - 1] == guard))
            return pos;
        at = pos + 1;
    }
    return NOT_FOUND;
}

/* skip_run returns the first index from i (up to end) where s[i] is not
 * white space (space true) or is white space (space false). */
static size_t skip_run(const char *s, size_t i, size_t end, bool space)
{
    while (i < end && is_space(s[i]) == space)
        i++;
    return i;
}

/* {{=<% %>=}}: body is the text between the two '='. */
static int set_delims(struct compiler *c, size_t tag, size_t body,
                      size_t body_end)
{
    const char *s = c->src;
    size_t a = skip_run(s, body, body_end, true);
    size_t a_end = skip_run(s, a, body_end, false);
    size_t b = skip_run(s, a_end, body_end, true);
    size_t b_end = skip_run(s, b, body_end, false);
    size_t rest = skip_run(s, b_end, body_end, true);

    if (a == a_end || b == b_end || rest != body_end)
        return cfail(c, tag, "bad delimiter tag: expected two delimiters "
                             "separated by a space, as in {{=<%% %%>=}}");
    if (a_end - a > DELIM_MAX || b_end - b > DELIM_MAX)
        return cfail(c, tag, "bad delimiter tag: a delimiter is over %d "
                             "bytes", DELIM_MAX);
    if (memchr(s + a, '=', a_end - a) || memchr(s + b, '=', b_end - b))
        return cfail(c, tag, "bad delimiter tag: delimiters may not "
                             "contain '='");
    c->open_delim = s + a;
    c->open_len = a_end - a;
    c->close_delim = s + b;
    c->close_len = b_end - b;
    return 0;
}

/* Checks the trimmed name of the newest token, which starts at tag. */
static int check_name(struct compiler *c, size_t tag)
{
    const struct token *t = &c->toks[c->ntoks - 1];
    const char *s = c->src + t->name;
    size_t n = t->name_len;

    if (n == 0)
        return cfail(c, tag, "empty tag name");
    if (n > TMPL_NAME_MAX)
        return cfail(c, tag, "tag name is %zu bytes, over TMPL_NAME_MAX "
                             "(%d)", n, TMPL_NAME_MAX);
    for (size_t k = 0; k < n; k++) {
        if (is_space(s[k]))
            return cfail(c, tag, "tag name '%.*s' contains whitespace",
                         (int)n, s);
        if (s[k] == '\0') /* json-c keys and template names are C strings */
            return cfail(c, tag, "tag name contains a NUL byte");
    }
    bool dotted = t->type == TOK_VAR || t->type == TOK_RAW ||
                  t->type == TOK_SECTION || t->type == TOK_INVERTED;
    if (dotted && !(n == 1 && s[0] == '.') &&
        (s[0] == '.' || s[n - 1] == '.' || memmem(s, n, "..", 2)))
        return cfail(c, tag, "malformed dotted name '%.*s'", (int)n, s);
    return 0;
}

/* Lexes the tag whose opening delimiter is at tag; *next gets its end. */
static int lex_tag(struct compiler *c, size_t tag, size_t *next)
{
    size_t p = tag + c->open_len;
    while (p < c->len && is_space(c->src[p]))
        p++;
    if (p >= c->len)
        return cfail(c, tag, "unclosed tag: no '%.*s' after '%.*s'",
                     (int)c->close_len, c->close_delim, (int)c->open_len,
                     c->open_delim);

    int type;
    char guard = 0;
    size_t body = p + 1;
    switch (c->src[p]) {
    case '#': type = TOK_SECTION; break;
    case '^': type = TOK_INVERTED; break;
    case '/': type = TOK_END; break;
    case '!': type = TOK_COMMENT; break;
    case '>': type = TOK_PARTIAL; break;
    case '<': type = TOK_PARENT; break;
    case '$': type = TOK_BLOCK; break;
    case '&': type = TOK_RAW; break;
    case '{': type = TOK_RAW; guard = '}'; break;
    case '=': type = TOK_DELIM; guard = '='; break;
    default: type = TOK_VAR; body = p; break;
    }

    size_t shut = find_close(c, body, guard);
    if (shut == NOT_FOUND)
        return cfail(c, tag, "unclosed tag: no '%s%.*s' after '%.*s'",
                     guard == '}' ? "}" : guard == '=' ? "=" : "",
                     (int)c->close_len, c->close_delim, (int)c->open_len,
                     c->open_delim);
    size_t body_end = guard ? shut - 1 : shut;
    size_t end = shut + c->close_len;
    *next = end;

    struct token *t = push_token(c, type, tag, end);
    if (type == TOK_COMMENT)
        return 0;
    if (type == TOK_DELIM)
        return set_delims(c, tag, body, body_end);

    while (body < body_end && is_space(c->src[body]))
        body++;
    while (body_end > body && is_space(c->src[body_end - 1]))
        body_end--;
    t->name = (uint32_t)body;
    t->name_len = (uint32_t)(body_end - body);
    return check_name(c, tag);
}

static int lex(struct compiler *c)
{
    c->open_delim = "{{";
    c->open_len = 2;
    c->close_delim = "}}";
    c->close_len = 2;

    size_t pos = 0;
    while (pos < c->len) {
        const char *hit = memmem(c->src + pos, c->len - pos, c->open_delim,
                                 c->open_len);
        size_t tag = hit ? (size_t)(hit - c->src) : c->len;
        if (tag > pos)
            push_token(c, TOK_TEXT, pos, tag);
        if (!hit)
            break;
        if (lex_tag(c, tag, &pos) < 0)
            return -1;
    }
    return 0;
}

/* ======================================================================
 * Pass 2: structure and standalone lines
 * ==================================================================== */

static bool same_name(const struct compiler *c, const struct token *a,
                      const struct token *b)
{
    return a->name_len == b->name_len &&
           !memcmp(c->src + a->name, c->src + b->name, a->name_len);
}

/* Pairs each opening tag with its closing tag, in both directions. */
static int structure(struct compiler *c)
{
    uint32_t stack[TMPL_NESTING_MAX];
    size_t depth = 0;

    for (size_t i = 0; i < c->ntoks; i++) {
        struct token *t = &c->toks[i];
        switch (t->type) {
        case TOK_SECTION:
        case TOK_INVERTED:
        case TOK_PARENT:
        case TOK_BLOCK:
            if (depth == TMPL_NESTING_MAX)
                return cfail(c, t->start, "sections nested deeper than %d "
                                          "(TMPL_NESTING_MAX)",
                             TMPL_NESTING_MAX);
            stack[depth++] = (uint32_t)i;
            break;
        case TOK_END: {
            if (depth == 0)
                return cfail(c, t->start, "unbalanced section: '/%.*s' "
                                          "closes nothing",
                             (int)t->name_len, c->src + t->name);
            struct token *o = &c->toks[stack[depth - 1]];
            if (!same_name(c, o, t)) {
                unsigned line, col;
                locate(c, o->start, &line, &col);
                return cfail(c, t->start, "mismatched section: '/%.*s' "
                                          "closes '%s%.*s' opened at "
                                          "%u:%u",
                             (int)t->name_len, c->src + t->name,
                             sigil_of(o->type), (int)o->name_len,
                             c->src + o->name, line, col);
            }
            o->match = (uint32_t)i;
            t->match = stack[--depth];
            break;
        }
        default:
            break;
        }
    }
    if (depth) {
        const struct token *o = &c->toks[stack[depth - 1]];
        return cfail(c, o->start, "unclosed section '%s%.*s'",
                     sigil_of(o->type), (int)o->name_len, c->src + o->name);
    }
    return 0;
}

/* True when only blanks lie between the start of off's line and off; *ls
 * gets that line start. */
static bool blank_before(const struct compiler *c, size_t off, size_t *ls)
{
    while (off > 0 && is_blank(c->src[off - 1]))
        off--;
    if (off > 0 && c->src[off - 1] != '\n')
        return false;
    *ls = off;
    return true;
}

/* The start of the next line when only blanks follow off on its line (or
 * the end of the source), else NOT_FOUND. "\r\n" counts as a newline. */
static size_t blank_after(const struct compiler *c, size_t off)
{
    while (off < c->len && is_blank(c->src[off]))
        off++;
    if (off == c->len)
        return off;
    if (c->src[off] == '\n')
        return off + 1;
    if (c->src[off] == '\r' && off + 1 < c->len && c->src[off + 1] == '\n')
        return off + 2;
    return NOT_FOUND;
}

static bool can_stand_alone(int type)
{
    return type != TOK_TEXT && type != TOK_VAR && type != TOK_RAW;
}

/* Cuts the text before tag i back to ls (its line's start). */
static void trim_text_before(struct compiler *c, size_t i, size_t ls)
{
    if (i == 0)
        return;
    struct token *prev = &c->toks[i - 1];
    if (prev->type == TOK_TEXT && prev->end == c->toks[i].start)
        prev->end = (uint32_t)(ls > prev->start ? ls : prev->start);
}

/* Cuts the text after tag i forward to upto. */
static void trim_text_after(struct compiler *c, size_t i, size_t upto)
{
    if (i + 1 >= c->ntoks)
        return;
    struct token *next = &c->toks[i + 1];
    if (next->type == TOK_TEXT && next->start == c->toks[i].end)
        next->start = (uint32_t)(upto < next->end ? upto : next->end);
}

/* Two adjacent tags that the inheritance spec lets share one standalone
 * line: "{{<p}}{{/p}}", "{{<p}}{{$b}}" and "{{/b}}{{/p}}". */
static bool is_line_pair(const struct compiler *c, size_t i)
{
    const struct token *t = &c->toks[i], *nx = &c->toks[i + 1];
    if (t->type == TOK_PARENT)
        return nx->type == TOK_BLOCK || (nx->type == TOK_END && nx->match == i);
    return t->type == TOK_END && nx->type == TOK_END &&
           c->toks[t->match].type == TOK_BLOCK &&
           c->toks[nx->match].type == TOK_PARENT;
}

/* Marks the tags that stand alone on their line and cuts that line's
 * blanks and newline out of the neighbouring text, as the spec requires. */
static void mark_standalone(struct compiler *c)
{
    for (size_t i = 0; i < c->ntoks; i++) {
        struct token *t = &c->toks[i];
        if (!can_stand_alone(t->type))
            continue;
        struct token *nx = NULL;
        if (i + 1 < c->ntoks && c->toks[i + 1].start == t->end &&
            can_stand_alone(c->toks[i + 1].type))
            nx = &c->toks[i + 1];
        size_t ls, le;

        if (nx && is_line_pair(c, i) && blank_before(c, t->start, &ls) &&
            (le = blank_after(c, nx->end)) != NOT_FOUND) {
            t->standalone = nx->standalone = true;
            trim_text_before(c, i, ls);
            trim_text_after(c, i + 1, le);
            i++;
            continue;
        }
        /* An empty block alone on its line takes the line's indentation
         * but keeps its newline (spec: "Standalone block"). */
        if (nx && t->type == TOK_BLOCK && nx->type == TOK_END &&
            nx->match == i && blank_before(c, t->start, &ls) &&
            blank_after(c, nx->end) != NOT_FOUND) {
            t->standalone = t->block_pair = true;
            trim_text_before(c, i, ls);
            size_t upto = nx->end;
            while (upto < c->len && is_blank(c->src[upto]))
                upto++;
            trim_text_after(c, i + 1, upto);
            i++;
            continue;
        }
        if (blank_before(c, t->start, &ls) &&
            (le = blank_after(c, t->end)) != NOT_FOUND) {
            t->standalone = true;
            trim_text_before(c, i, ls);
            trim_text_after(c, i, le);
        }
    }
}

/* ======================================================================
 * Pass 3: the emitter
 * ==================================================================== */

static uint32_t pool_put(struct compiler *c, const char *s, size_t n,
                         bool nul)
{
    size_t off = c->pool_len;
    c->pool = grow(c->pool, &c->pool_cap, off + n + 1, 1);
    memcpy(c->pool + off, s, n);
    c->pool_len += n;
    if (nul)
        c->pool[c->pool_len++] = '\0';
    return (uint32_t)off;
}

static struct tmpl_op *new_op(struct compiler *c, int opcode, int flags)
{
    c->ops = grow(c->ops, &c->op_cap, c->nops + 1, sizeof *c->ops);
    struct tmpl_op *op = &c->ops[c->nops++];
    memset(op, 0, sizeof *op);
    op->op = (uint8_t)opcode;
    op->flags = (uint8_t)flags;
    return op;
}

/* key_hash is json-c's hash of a member name, computed once when a template
 * is compiled so that rendering, which looks names up through every level
 * of the context stack, hashes none. json-c hashes all object keys with one
 * function and a seed fixed for the process at its first use; this is that
 * use or a later one, and workers inherit it with the compiled templates. */
static pthread_once_t probe_once = PTHREAD_ONCE_INIT;
static struct json_object *probe; /* an empty object: its table's hash function */

static void make_probe(void)
{
    probe = json_object_new_object();
}

static unsigned long key_hash(const char *name)
{
    pthread_once(&probe_once, make_probe);
    return lh_get_hash(json_object_get_object(probe), name);
}

/* Splits the tag's dotted name into parts; "." has none. */
static void add_name_parts(struct compiler *c, const struct token *t,
                           struct tmpl_op *op)
{
    const char *s = c->src + t->name;
    size_t n = t->name_len;
    op->arg = (uint32_t)c->nparts;
    op->nparts = 0;
    if (n == 1 && s[0] == '.')
        return;
    size_t from = 0;
    for (size_t k = 0; k <= n; k++) {
        if (k < n && s[k] != '.')
            continue;
        c->parts = grow(c->parts, &c->part_cap, c->nparts + 1,
                        sizeof *c->parts);
        struct part *p = &c->parts[c->nparts++];
        p->off = pool_put(c, s + from, k - from, true);
        p->len = (uint32_t)(k - from);
        p->hash = key_hash(c->pool + p->off);
        op->nparts++;
        from = k + 1;
    }
}

static uint32_t add_call(struct compiler *c, const struct token *t,
                         size_t indent, size_t indent_len)
{
    c->calls = grow(c->calls, &c->call_cap, c->ncalls + 1, sizeof *c->calls);
    struct call *call = &c->calls[c->ncalls];
    memset(call, 0, sizeof *call);
    call->name = pool_put(c, c->src + t->name, t->name_len, true);
    call->name_len = t->name_len;
    call->indent = pool_put(c, c->src + indent, indent_len, false);
    call->indent_len = (uint32_t)indent_len;
    unsigned line, col;
    locate(c, t->start, &line, &col);
    call->line = line;
    call->col = col;
    return (uint32_t)c->ncalls++;
}

/* Copies a text token into the pool, removing `margin` from the start of
 * each of its source lines (block re-indentation), and emits or extends an
 * OP_TEXT. *bol tells whether output is at the start of a line. */
static void emit_text(struct compiler *c, const struct token *t,
                      size_t margin, size_t margin_len, bool *bol)
{
    const char *s = c->src;
    size_t from = c->pool_len;
    size_t p = t->start;
    while (p < t->end) {
        if (margin_len && (p == 0 || s[p - 1] == '\n'))
            p += common_prefix(s + p, t->end - p, s + margin, margin_len);
        const char *nl = memchr(s + p, '\n', t->end - p);
        size_t stop = nl ? (size_t)(nl - s) + 1 : t->end;
        pool_put(c, s + p, stop - p, false);
        p = stop;
    }
    size_t n = c->pool_len - from;
    if (n == 0)
        return;

    /* Text separated only by comments or delimiter tags joins the op
     * before it; no jump ever targets the middle of a run of text. */
    struct tmpl_op *op = c->nops ? &c->ops[c->nops - 1] : NULL;
    if (op && op->op == OP_TEXT && op->arg + op->len == from) {
        op->len += (uint32_t)n;
    } else {
        op = new_op(c, OP_TEXT, *bol ? OPF_LINE_START : 0);
        op->arg = (uint32_t)from;
        op->len = (uint32_t)n;
    }
    if (op->len > 1 && memchr(c->pool + op->arg, '\n', op->len - 1))
        op->flags |= OPF_INNER_NL;
    *bol = c->pool[c->pool_len - 1] == '\n';
}

/* Common leading blanks of the non-blank lines in [from, to): *moff, *mlen
 * locate them in the source. False when every line is blank. */
static bool common_margin(const struct compiler *c, size_t from, size_t to,
                          size_t *moff, size_t *mlen)
{
    const char *s = c->src;
    bool found = false;
    size_t p = from;
    while (p < to) {
        size_t w = p;
        while (w < to && is_blank(s[w]))
            w++;
        bool blank = w == to || s[w] == '\n' ||
                     (s[w] == '\r' && w + 1 < to && s[w + 1] == '\n');
        if (!blank && !found) {
            *moff = p;
            *mlen = w - p;
            found = true;
        } else if (!blank) {
            *mlen = common_prefix(s + *moff, *mlen, s + p, w - p);
        }
        const char *nl = memchr(s + w, '\n', to - w);
        if (!nl)
            break;
        p = (size_t)(nl - s) + 1;
    }
    return found;
}

/* The indentation before a standalone tag, less the enclosing margin. */
static void tag_indent(const struct compiler *c, const struct token *t,
                       size_t margin, size_t margin_len, size_t *off,
                       size_t *len)
{
    size_t ls = t->start;
    blank_before(c, t->start, &ls);
    ls += common_prefix(c->src + ls, t->start - ls, c->src + margin,
                        margin_len);
    *off = ls;
    *len = t->start - ls;
}

struct open_tag {
    uint32_t tok, op;
    uint8_t mode;
    size_t margin, margin_len;
};

/* A standalone block's content loses its common indentation (its margin)
 * where it is written, and gets the indentation of the place it is
 * expanded: its own margin there, else the blanks before its tag. */
static void block_layout(struct compiler *c, const struct token *t,
                         size_t *margin, size_t *margin_len, size_t *ind,
                         size_t *ind_len)
{
    size_t outer = *margin, outer_len = *margin_len;
    *ind = 0;
    *ind_len = 0;
    if (!t->standalone)
        return;
    if (!t->block_pair) {
        const struct token *shut = &c->toks[t->match];
        size_t from = blank_after(c, t->end);
        size_t to = shut->start;
        if (shut->standalone)
            blank_before(c, shut->start, &to);
        size_t moff, mlen;
        if (from != NOT_FOUND && from < to &&
            common_margin(c, from, to, &moff, &mlen)) {
            *margin = moff;
            *margin_len = mlen;
            if (mlen > outer_len) {
                *ind = moff + outer_len;
                *ind_len = mlen - outer_len;
            }
        }
    }
    if (*ind_len == 0)
        tag_indent(c, t, outer, outer_len, ind, ind_len);
}

static int emit(struct compiler *c)
{
    struct open_tag stack[TMPL_NESTING_MAX];
    size_t depth = 0;
    int mode = MODE_BODY;
    size_t margin = 0, margin_len = 0;
    bool bol = true;

    for (size_t i = 0; i < c->ntoks; i++) {
        const struct token *t = &c->toks[i];
        if (t->type == TOK_TEXT) {
            if (t->start == t->end)
                continue;
            if (mode == MODE_ARGS)
                bol = c->src[t->end - 1] == '\n';
            else
                emit_text(c, t, margin, margin_len, &bol);
            continue;
        }
        if (mode == MODE_ARGS && t->type != TOK_BLOCK &&
            t->type != TOK_END && t->type != TOK_COMMENT &&
            t->type != TOK_DELIM) {
            const struct token *parent = &c->toks[stack[depth - 1].tok];
            return cfail(c, t->start, "'%s%.*s' cannot appear directly "
                                      "inside parent '<%.*s': only '$' "
                                      "blocks can",
                         sigil_of(t->type), (int)t->name_len,
                         c->src + t->name, (int)parent->name_len,
                         c->src + parent->name);
        }

        int ls = bol && !t->standalone ? OPF_LINE_START : 0;
        int sa = t->standalone ? OPF_STANDALONE : 0;
        struct tmpl_op *op;
        size_t ind, ind_len;
        switch (t->type) {
        case TOK_VAR:
        case TOK_RAW:
            op = new_op(c, OP_VAR, ls | (t->type == TOK_RAW ? OPF_RAW : 0));
            add_name_parts(c, t, op);
            break;
        case TOK_SECTION:
        case TOK_INVERTED:
            stack[depth++] = (struct open_tag){(uint32_t)i, (uint32_t)c->nops,
                                               (uint8_t)mode, margin,
                                               margin_len};
            op = new_op(c, t->type == TOK_SECTION ? OP_SECTION : OP_INVERTED,
                        ls);
            add_name_parts(c, t, op);
            break;
        case TOK_END: {
            const struct open_tag *o = &stack[--depth];
            op = new_op(c, OP_END, ls);
            op->jump = o->op;
            c->ops[o->op].jump = (uint32_t)c->nops;
            mode = o->mode;
            margin = o->margin;
            margin_len = o->margin_len;
            break;
        }
        case TOK_PARTIAL:
        case TOK_PARENT:
            ind = ind_len = 0;
            if (t->standalone)
                tag_indent(c, t, margin, margin_len, &ind, &ind_len);
            if (t->type == TOK_PARENT)
                stack[depth++] = (struct open_tag){
                    (uint32_t)i, (uint32_t)c->nops, (uint8_t)mode, margin,
                    margin_len};
            op = new_op(c, t->type == TOK_PARTIAL ? OP_PARTIAL : OP_PARENT,
                        ls | sa);
            op->arg = add_call(c, t, ind, ind_len);
            if (t->type == TOK_PARENT)
                mode = MODE_ARGS;
            break;
        case TOK_BLOCK:
            stack[depth++] = (struct open_tag){(uint32_t)i, (uint32_t)c->nops,
                                               (uint8_t)mode, margin,
                                               margin_len};
            block_layout(c, t, &margin, &margin_len, &ind, &ind_len);
            op = new_op(c, OP_BLOCK, ls | sa);
            op->arg = add_call(c, t, ind, ind_len);
            mode = MODE_BODY;
            break;
        case TOK_COMMENT:
        case TOK_DELIM:
            /* They leave nothing behind, so the line start stays where
             * it was: indentation still goes before what follows. */
            continue;
        default:
            assert(!"unknown token type");
            return cfail(c, t->start, "internal error: unknown token");
        }
        bol = t->standalone && !t->block_pair;
    }
    return 0;
}

/* Compiles src into a new template, or returns NULL with err set. */
static struct tmpl *compile(const char *name, const char *file,
                            const char *src, size_t len, char *err,
                            size_t errlen)
{
    struct compiler c = {
        .file = file, .src = src, .len = len, .err = err, .errlen = errlen,
        .loc_line = 1,
    };
    struct tmpl *t = NULL;

    if (len > TMPL_SOURCE_MAX) {
        cfail(&c, TMPL_SOURCE_MAX, "template is %zu bytes, over "
                                   "TMPL_SOURCE_MAX (%d)", len,
              TMPL_SOURCE_MAX);
        goto out;
    }
    if (lex(&c) < 0 || structure(&c) < 0)
        goto out;
    mark_standalone(&c);
    if (emit(&c) < 0)
        goto out;

    t = xcalloc(1, sizeof *t);
    t->name = xstrdup(name);
    t->file = xstrdup(file);
    t->ops = c.ops;
    t->nops = (uint32_t)c.nops;
    t->calls = c.calls;
    t->parts = c.parts;
    t->pool = c.pool ? c.pool : xcalloc(1, 1);
    c.ops = NULL;
    c.calls = NULL;
    c.parts = NULL;
    c.pool = NULL;
out:
    compiler_cleanup(&c);
    return t;
}

static void tmpl_free(struct tmpl *t)
{
    if (!t)
        return;
    free(t->name);
    free(t->file);
    free(t->ops);
    free(t->calls);
    free(t->parts);
    free(t->pool);
    free(t);
}

/* ======================================================================
 * Sets: adding, loading, linking
 * ==================================================================== */

/* Returns a new empty set, which the caller releases with tmpl_set_free. */
struct tmpl_set *tmpl_set_new(void)
{
    return xcalloc(1, sizeof(struct tmpl_set));
}

/* Releases set, its templates and everything they own. NULL is fine. */
void tmpl_set_free(struct tmpl_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->n; i++)
        tmpl_free(set->v[i]);
    free(set->v);
    free(set);
}

static int by_name(const void *a, const void *b)
{
    const struct tmpl *x = *(const struct tmpl *const *)a;
    const struct tmpl *y = *(const struct tmpl *const *)b;
    return strcmp(x->name, y->name);
}

/* strcmp's order between name (len bytes, maybe not a C string) and m. */
static int name_cmp(const char *name, size_t len, const char *m)
{
    size_t mlen = strlen(m);
    int cmp = memcmp(name, m, len < mlen ? len : mlen);
    if (cmp)
        return cmp;
    return len < mlen ? -1 : len > mlen;
}

static const struct tmpl *find_tmpl(const struct tmpl_set *set,
                                    const char *name, size_t len)
{
    if (set->linked) {
        size_t lo = 0, hi = set->n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            int cmp = name_cmp(name, len, set->v[mid]->name);
            if (cmp == 0)
                return set->v[mid];
            if (cmp < 0)
                hi = mid;
            else
                lo = mid + 1;
        }
        return NULL;
    }
    for (size_t i = 0; i < set->n; i++)
        if (name_cmp(name, len, set->v[i]->name) == 0)
            return set->v[i];
    return NULL;
}

static int add_file(struct tmpl_set *set, const char *name, const char *file,
                    const char *src, size_t len, char *err, size_t errlen)
{
    if (!name || !*name)
        return fail(err, errlen, "%s: a template needs a name", file);
    if (find_tmpl(set, name, strlen(name)))
        return fail(err, errlen, "%s: a template named '%s' already exists",
                    file, name);
    struct tmpl *t = compile(name, file, src, len, err, errlen);
    if (!t)
        return -1;
    set->v = grow(set->v, &set->cap, set->n + 1, sizeof *set->v);
    set->v[set->n++] = t;
    set->linked = false;
    return 0;
}

/* Compiles source (len bytes, NUL not needed) as the template called name
 * and adds it to set, which must then be linked again. Returns 0, or -1
 * with "name:line:col: message" in err when the source does not compile or
 * the name is taken. The set keeps its own copy of all it needs. */
int tmpl_set_add(struct tmpl_set *set, const char *name, const char *source,
                 size_t len, char *err, size_t errlen)
{
    return add_file(set, name, name ? name : "(null)", source, len, err,
                    errlen);
}

static int load_file(struct tmpl_set *set, const char *path,
                     const char *name, char *err, size_t errlen)
{
    int rc = -1;
    char *src = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fail(err, errlen, "%s: %s", path, strerror(errno));
        goto out;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        fail(err, errlen, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (st.st_size > TMPL_SOURCE_MAX) {
        fail(err, errlen, "%s: template is %lld bytes, over TMPL_SOURCE_MAX "
                          "(%d)", path, (long long)st.st_size,
             TMPL_SOURCE_MAX);
        goto out;
    }
    size_t size = (size_t)st.st_size, got = 0;
    src = xmalloc(size + 1);
    while (got < size) {
        ssize_t n = read(fd, src + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fail(err, errlen, "%s: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0)
            break; /* the file shrank while we read it: take what is there */
        got += (size_t)n;
    }
    rc = add_file(set, name, path, src, got, err, errlen);
out:
    free(src);
    if (fd >= 0)
        close(fd);
    return rc;
}

/* Walks path (a buffer of PATH_MAX bytes holding path_len bytes); names
 * are the part after root_len + 1. */
static int load_tree(struct tmpl_set *set, char *path, size_t root_len,
                     size_t path_len, int depth, char *err, size_t errlen)
{
    int rc = -1;
    DIR *d = opendir(path);
    if (!d)
        return fail(err, errlen, "%s: %s", path, strerror(errno));
    const size_t ext_len = strlen(TMPL_EXT);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue; /* ".", "..", and hidden files such as editor swaps */
        size_t n = strlen(de->d_name);
        if (path_len + 1 + n >= PATH_MAX) {
            fail(err, errlen, "%s/%s: path too long", path, de->d_name);
            goto out;
        }
        path[path_len] = '/';
        memcpy(path + path_len + 1, de->d_name, n + 1);
        struct stat st;
        if (stat(path, &st) < 0) {
            fail(err, errlen, "%s: %s", path, strerror(errno));
            goto out;
        }
        if (S_ISDIR(st.st_mode)) {
            if (depth + 1 > LOAD_DIR_DEPTH_MAX) {
                fail(err, errlen, "%s: directories nested deeper than %d",
                     path, LOAD_DIR_DEPTH_MAX);
                goto out;
            }
            if (load_tree(set, path, root_len, path_len + 1 + n, depth + 1,
                          err, errlen) < 0)
                goto out;
        } else if (S_ISREG(st.st_mode) && n > ext_len &&
                   !strcmp(de->d_name + n - ext_len, TMPL_EXT)) {
            char name[PATH_MAX];
            size_t name_len = path_len + 1 + n - ext_len - (root_len + 1);
            memcpy(name, path + root_len + 1, name_len);
            name[name_len] = '\0';
            if (load_file(set, path, name, err, errlen) < 0)
                goto out;
        }
        path[path_len] = '\0';
    }
    rc = 0;
out:
    path[path_len] = '\0';
    closedir(d);
    return rc;
}

/* Adds every regular file whose name ends in .mustache under dir (hidden
 * entries skipped, subdirectories followed), each named by its path
 * relative to dir without the extension, e.g. "errors/404". Returns 0, or
 * -1 with err naming the file ("path:line:col: message" for a compile
 * error). Templates added before a failure stay in the set. */
int tmpl_set_load_dir(struct tmpl_set *set, const char *dir, char *err,
                      size_t errlen)
{
    char path[PATH_MAX];
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
        len--;
    if (len >= PATH_MAX)
        return fail(err, errlen, "%s: path too long", dir);
    memcpy(path, dir, len);
    path[len] = '\0';
    return load_tree(set, path, len, len, 0, err, errlen);
}

/* Sorts the set by name and resolves every partial and parent tag to its
 * template. strict: a name with no template fails with
 * "file:line:col: unknown partial 'x'"; otherwise it is left to render as
 * nothing, as the spec requires. Returns 0 or -1; the set may be rendered
 * only after a successful link. */
int tmpl_set_link(struct tmpl_set *set, bool strict, char *err, size_t errlen)
{
    set->linked = false;
    qsort(set->v, set->n, sizeof *set->v, by_name);
    set->linked = true;
    for (size_t i = 0; i < set->n; i++) {
        struct tmpl *t = set->v[i];
        for (uint32_t k = 0; k < t->nops; k++) {
            const struct tmpl_op *op = &t->ops[k];
            if (op->op != OP_PARTIAL && op->op != OP_PARENT)
                continue;
            struct call *call = &t->calls[op->arg];
            call->target = find_tmpl(set, t->pool + call->name,
                                     call->name_len);
            if (!call->target && strict) {
                set->linked = false;
                return fail(err, errlen, "%s:%u:%u: unknown %s '%s'",
                            t->file, (unsigned)call->line,
                            (unsigned)call->col,
                            op->op == OP_PARTIAL ? "partial" : "parent",
                            t->pool + call->name);
            }
        }
    }
    return 0;
}

/* True when set holds a template called name (linked or not). */
bool tmpl_set_has(const struct tmpl_set *set, const char *name)
{
    return find_tmpl(set, name, strlen(name)) != NULL;
}

/* ======================================================================
 * Rendering
 * ==================================================================== */

/* One entry of the context stack; a list section iterates in place. */
struct ctx_entry {
    struct json_object *val;
    struct json_object *list; /* the array being iterated, or NULL */
    size_t idx, len;
};

/* Indentation to put before each source line: a chain of segments built on
 * the C stack as standalone partials and blocks nest. */
struct indent {
    const struct indent *prev;
    const char *s;
    size_t len;
};

/* The overrides a parent tag passes down: its OP_BLOCKs [first, last) in
 * t. Lookups walk to the root and the outermost override wins. */
struct scope {
    const struct scope *prev;
    const struct tmpl *t;
    uint32_t first, last;
    const struct indent *chain; /* where the parent tag was rendered */
};

struct render {
    struct buf *out;
    size_t out_start;
    unsigned long steps;
    int depth; /* partial, parent and block expansions in progress */
    int nctx;
    char *err;
    size_t errlen;
    struct ctx_entry ctx[RENDER_CONTEXT_MAX];
};

static int rfail(struct render *r, const struct tmpl *t, const char *fmt,
                 ...) __attribute__((format(printf, 3, 4)));

static int rfail(struct render *r, const struct tmpl *t, const char *fmt,
                 ...)
{
    if (!r->err || !r->errlen)
        return -1;
    int n = snprintf(r->err, r->errlen, "%s: ", t->file);
    va_list ap;
    va_start(ap, fmt);
    message_after(r->err, r->errlen, n, fmt, ap);
    va_end(ap);
    return -1;
}

static void put_indent(struct buf *out, const struct indent *chain)
{
    if (!chain)
        return;
    put_indent(out, chain->prev);
    buf_append(out, chain->s, chain->len);
}

static const struct indent *indent_push(struct indent *node,
                                        const struct indent *prev,
                                        const char *s, size_t len)
{
    if (!len)
        return prev;
    node->prev = prev;
    node->s = s;
    node->len = len;
    return node;
}

/* Text with the chain's indentation after every newline but a last one. */
static void put_text(struct buf *out, const char *s, size_t len, int flags,
                     const struct indent *chain)
{
    if (!chain || !(flags & OPF_INNER_NL)) {
        buf_append(out, s, len);
        return;
    }
    const char *end = s + len;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s) - 1);
        if (!nl) {
            buf_append(out, s, (size_t)(end - s));
            return;
        }
        buf_append(out, s, (size_t)(nl + 1 - s));
        put_indent(out, chain);
        s = nl + 1;
    }
}

static const char *const html_entity[256] = {
    ['&'] = "&amp;", ['<'] = "&lt;",    ['>'] = "&gt;",
    ['"'] = "&quot;", ['\''] = "&#39;",
};

static void put_escaped(struct buf *out, const char *s, size_t len)
{
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        const char *entity = html_entity[(unsigned char)s[i]];
        if (!entity)
            continue;
        buf_append(out, s + run, i - run);
        buf_puts(out, entity);
        run = i + 1;
    }
    buf_append(out, s + run, len - run);
}

/* The shortest "%g" form that reads back as the same double. */
static size_t format_double(double d, char *num)
{
    int n = 0;
    for (int digits = DOUBLE_DIGITS_MIN; digits <= DOUBLE_DIGITS_MAX;
         digits++) {
        n = snprintf(num, NUMBER_MAX, "%.*g", digits, d);
        if (strtod(num, NULL) == d)
            break;
    }
    return n > 0 ? (size_t)n : 0;
}

static size_t format_int(struct json_object *v, char *num)
{
    int64_t i = json_object_get_int64(v);
    int n;
    if (i == INT64_MAX) /* json-c clamps larger unsigned values here */
        n = snprintf(num, NUMBER_MAX, "%" PRIu64, json_object_get_uint64(v));
    else
        n = snprintf(num, NUMBER_MAX, "%" PRId64, i);
    return n > 0 ? (size_t)n : 0;
}

static void put_value(struct buf *out, struct json_object *v, bool raw)
{
    char num[NUMBER_MAX];
    const char *s;
    size_t n;
    switch (json_object_get_type(v)) {
    case json_type_null:
        return;
    case json_type_string:
        s = json_object_get_string(v);
        n = (size_t)json_object_get_string_len(v);
        break;
    case json_type_boolean:
        s = json_object_get_boolean(v) ? "true" : "false";
        n = strlen(s);
        break;
    case json_type_int:
        n = format_int(v, num);
        s = num;
        break;
    case json_type_double:
        n = format_double(json_object_get_double(v), num);
        s = num;
        break;
    case json_type_object:
    case json_type_array:
        s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
        n = strlen(s);
        break;
    default:
        assert(!"unknown json-c type");
        return;
    }
    if (raw)
        buf_append(out, s, n);
    else
        put_escaped(out, s, n);
}

/* Mustache truthiness, with the spec's example `!!data` read as in
 * JavaScript: null, false, 0, NaN, "" and [] are false; {} is true. */
static bool truthy(struct json_object *v)
{
    double d;
    switch (json_object_get_type(v)) {
    case json_type_null: return false;
    case json_type_boolean: return json_object_get_boolean(v);
    case json_type_int: return json_object_get_int64(v) != 0;
    case json_type_double:
        d = json_object_get_double(v);
        return d == d && d != 0;
    case json_type_string: return json_object_get_string_len(v) > 0;
    case json_type_array: return json_object_array_length(v) > 0;
    case json_type_object: return true;
    default: assert(!"unknown json-c type"); return false;
    }
}

/* Resolves op's name against the context stack: the first part in the
 * nearest object holding it, every other part only inside the one before.
 * NULL for a miss and for JSON null alike. */
/* member finds part p of a name in obj (an object), its value (NULL for
 * JSON null) in *v. */
static bool member(struct json_object *obj, const struct tmpl *t, const struct part *p,
                   struct json_object **v)
{
    struct lh_entry *e =
        lh_table_lookup_entry_w_hash(json_object_get_object(obj), t->pool + p->off, p->hash);
    if (!e)
        return false;
    *v = (struct json_object *)lh_entry_v(e);
    return true;
}

static struct json_object *lookup(const struct render *r,
                                  const struct tmpl *t,
                                  const struct tmpl_op *op)
{
    if (op->nparts == 0)
        return r->ctx[r->nctx - 1].val;
    const struct part *p = &t->parts[op->arg];
    struct json_object *v = NULL;
    int k = r->nctx;
    while (k-- > 0) {
        struct json_object *c = r->ctx[k].val;
        if (json_object_is_type(c, json_type_object) && member(c, t, &p[0], &v))
            break;
    }
    if (k < 0)
        return NULL;
    for (uint16_t j = 1; j < op->nparts; j++)
        if (!json_object_is_type(v, json_type_object) || !member(v, t, &p[j], &v))
            return NULL;
    return v;
}

static int push_ctx(struct render *r, const struct tmpl *t,
                    struct json_object *val, struct json_object *list,
                    size_t len)
{
    if (r->nctx == RENDER_CONTEXT_MAX)
        return rfail(r, t, "sections nested deeper than %d while rendering",
                     RENDER_CONTEXT_MAX);
    r->ctx[r->nctx++] = (struct ctx_entry){val, list, 0, len};
    return 0;
}

/* The outermost override of block `name` visible from scope. */
static bool find_override(const struct scope *scope, const char *name,
                          size_t len, const struct scope **where,
                          uint32_t *at)
{
    bool found = false;
    for (const struct scope *s = scope; s; s = s->prev) {
        for (uint32_t k = s->first; k < s->last; k = s->t->ops[k].jump) {
            const struct call *call = &s->t->calls[s->t->ops[k].arg];
            if (call->name_len == len &&
                !memcmp(s->t->pool + call->name, name, len)) {
                *where = s;
                *at = k;
                found = true;
                break;
            }
        }
    }
    return found;
}

static int exec(struct render *r, const struct tmpl *t, uint32_t i,
                uint32_t end, const struct indent *chain,
                const struct scope *scope);

/* Renders ops [i, end) of t one expansion deeper. indent_first: the
 * content began in the middle of a source line, so no op carries the
 * indentation of its first line; a standalone block gives it one. */
static int expand(struct render *r, const struct tmpl *t, uint32_t i,
                  uint32_t end, const struct indent *chain,
                  const struct scope *scope, bool indent_first)
{
    if (r->depth == TMPL_PARTIAL_DEPTH_MAX)
        return rfail(r, t, "partials, parents and blocks nested deeper than "
                           "%d (TMPL_PARTIAL_DEPTH_MAX)",
                     TMPL_PARTIAL_DEPTH_MAX);
    r->depth++;
    if (indent_first && i < end)
        put_indent(r->out, chain);
    int rc = exec(r, t, i, end, chain, scope);
    r->depth--;
    return rc;
}

/* expand_call renders the template a partial or parent tag calls (nothing
 * when it names none), re-indented by the tag's indentation when the tag
 * stands alone; scope is what the called template sees. */
static int expand_call(struct render *r, const struct tmpl *t, const struct tmpl_op *op,
                       const struct indent *chain, const struct scope *scope)
{
    const struct call *call = &t->calls[op->arg];
    struct indent node;
    if (!call->target)
        return 0;
    const struct indent *inner =
        op->flags & OPF_STANDALONE
            ? indent_push(&node, chain, t->pool + call->indent, call->indent_len)
            : NULL;
    return expand(r, call->target, 0, call->target->nops, inner, scope, false);
}

/* {{$name}}: the outermost override in scope, else the block's own content;
 * standalone blocks indent it with their indentation. */
static int exec_block(struct render *r, const struct tmpl *t, uint32_t i,
                      const struct indent *chain, const struct scope *scope)
{
    const struct tmpl_op *op = &t->ops[i];
    const struct call *call = &t->calls[op->arg];
    bool standalone = op->flags & OPF_STANDALONE;
    struct indent node;
    const struct indent *inner =
        standalone ? indent_push(&node, chain, t->pool + call->indent,
                                 call->indent_len)
                   : chain;

    /* The block's own content starts on a line of its own whenever the
     * block is standalone: its ops then carry their indentation. */
    const struct scope *where;
    uint32_t at;
    if (!find_override(scope, t->pool + call->name, call->name_len, &where,
                       &at))
        return expand(r, t, i + 1, op->jump - 1, inner, scope, false);

    /* An override written on its own lines lost its indentation when it
     * was compiled; one written inline keeps the indentation of the place
     * that wrote it, unless this block re-indents it, first line too. */
    const struct tmpl_op *def = &where->t->ops[at];
    bool def_standalone = def->flags & OPF_STANDALONE;
    if (!standalone)
        inner = def_standalone ? NULL : where->chain;
    return expand(r, where->t, at + 1, def->jump - 1, inner, where,
                  standalone && !def_standalone);
}

/* The interpreter: runs ops [i, end) of t, whose sections are balanced. */
static int exec(struct render *r, const struct tmpl *t, uint32_t i,
                uint32_t end, const struct indent *chain,
                const struct scope *scope)
{
    while (i < end) {
        const struct tmpl_op *op = &t->ops[i];
        if (++r->steps > RENDER_STEPS_MAX)
            return rfail(r, t, "rendering took over %lu steps",
                         RENDER_STEPS_MAX);
        if (chain && (op->flags & OPF_LINE_START))
            put_indent(r->out, chain);

        struct json_object *v;
        switch (op->op) {
        case OP_TEXT:
            put_text(r->out, t->pool + op->arg, op->len, op->flags, chain);
            i++;
            break;
        case OP_VAR:
            put_value(r->out, lookup(r, t, op), op->flags & OPF_RAW);
            i++;
            break;
        case OP_SECTION:
            v = lookup(r, t, op);
            if (json_object_is_type(v, json_type_array)) {
                size_t n = json_object_array_length(v);
                if (n == 0) {
                    i = op->jump;
                    break;
                }
                if (push_ctx(r, t, json_object_array_get_idx(v, 0), v, n) < 0)
                    return -1;
            } else if (truthy(v)) {
                if (push_ctx(r, t, v, NULL, 0) < 0)
                    return -1;
            } else {
                i = op->jump;
                break;
            }
            i++;
            break;
        case OP_INVERTED:
            i = truthy(lookup(r, t, op)) ? op->jump : i + 1;
            break;
        case OP_END:
            if (t->ops[op->jump].op == OP_SECTION) {
                struct ctx_entry *top = &r->ctx[r->nctx - 1];
                if (top->list && ++top->idx < top->len) {
                    top->val = json_object_array_get_idx(top->list, top->idx);
                    i = op->jump + 1;
                    break;
                }
                r->nctx--;
            }
            i++;
            break;
        case OP_PARTIAL:
            if (expand_call(r, t, op, chain, scope) < 0)
                return -1;
            i++;
            break;
        case OP_PARENT: {
            struct scope args = {scope, t, i + 1, op->jump - 1, chain};
            if (expand_call(r, t, op, chain, &args) < 0)
                return -1;
            i = op->jump;
            break;
        }
        case OP_BLOCK:
            if (exec_block(r, t, i, chain, scope) < 0)
                return -1;
            i = op->jump;
            break;
        default:
            assert(!"unknown opcode");
            return rfail(r, t, "internal error: unknown opcode %d", op->op);
        }
        if (r->out->len - r->out_start > RENDER_OUTPUT_MAX)
            return rfail(r, t, "output over %lu bytes", RENDER_OUTPUT_MAX);
    }
    return 0;
}

/* Renders the template called name against ctx (any JSON value; NULL is
 * JSON null), appending to out. The set must be linked and is only read,
 * so threads may render from one set at once. Returns 0, or -1 with err
 * set when there is no such template or a render limit was hit (partial
 * depth, steps, output size, section depth); out then holds a partial
 * result the caller discards. ctx is not modified except that json-c
 * caches the text of any object or array interpolated as a value. */
int tmpl_render(const struct tmpl_set *set, const char *name,
                struct json_object *ctx, struct buf *out, char *err,
                size_t errlen)
{
    if (!set->linked)
        return fail(err, errlen, "template set is not linked");
    const struct tmpl *t = find_tmpl(set, name, strlen(name));
    if (!t)
        return fail(err, errlen, "no template named '%s'", name);

    /* Only the fields used are set: the context stack is not cleared. */
    struct render r;
    r.out = out;
    r.out_start = out->len;
    r.steps = 0;
    r.depth = 0;
    r.err = err;
    r.errlen = errlen;
    r.nctx = 1;
    r.ctx[0] = (struct ctx_entry){ctx, NULL, 0, 0};
    buf_append(out, "", 0); /* out->data is a string even if nothing is */
    return exec(&r, t, 0, t->nops, NULL, NULL);
}
