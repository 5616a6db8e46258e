/* SPDX-License-Identifier: MIT */
/* tmpl: Mustache templates, compiled once and rendered many times.
 *
 * A set holds named templates; partials ({{>name}}) and parents ({{<name}})
 * refer to those names. Add or load every template, link the set once, then
 * render from any number of threads at once: rendering only reads the set.
 * The set owns everything it compiled and tmpl_set_free releases it all.
 * Rendering appends to the caller's buf and keeps no reference to the json-c
 * context. Errors are written to err as "file:line:col: message". */
#ifndef GH_TMPL_H
#define GH_TMPL_H

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct json_object;
struct tmpl_set;

/* An empty set; never NULL. */
struct tmpl_set *tmpl_set_new(void);

/* Compiles source (len bytes) as template `name`. 0, or -1 with err. */
int tmpl_set_add(struct tmpl_set *set, const char *name, const char *source,
                 size_t len, char *err, size_t errlen);

/* Adds every *.mustache file under dir, recursively, named by its path
 * relative to dir without the extension ("layout", "errors/404"). */
int tmpl_set_load_dir(struct tmpl_set *set, const char *dir, char *err,
                      size_t errlen);

/* Resolves partial and parent names. strict: a missing one is an error;
 * otherwise it renders as nothing, as the Mustache spec asks. 0 or -1. */
int tmpl_set_link(struct tmpl_set *set, bool strict, char *err,
                  size_t errlen);

/* True when the set holds a template called name. */
bool tmpl_set_has(const struct tmpl_set *set, const char *name);

/* Renders template `name` against ctx, appending to out. 0, or -1 with err
 * (out then holds a partial page the caller should discard). */
int tmpl_render(const struct tmpl_set *set, const char *name,
                struct json_object *ctx, struct buf *out, char *err,
                size_t errlen);

/* Releases the set and every template in it; NULL is fine. */
void tmpl_set_free(struct tmpl_set *set);

#endif
