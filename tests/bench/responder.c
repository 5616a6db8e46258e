/* SPDX-License-Identifier: MIT */
/* bench-responder: the plainest FastCGI program we can write, as a yardstick.
 *
 * `make bench` measures gatehouse against two ceilings behind the same
 * nginx: a static file, and this responder, which answers every request with
 * one fixed HTML page of about the size of a real gatehouse page. It does no
 * parsing, no templating and no I/O besides libfcgi's own, so whatever
 * gatehouse costs on top of it is gatehouse's work. Asked for LARGE_PATH it
 * answers a page of the admin's user list's size instead: the ceiling of
 * any page that large, whose bytes through nginx and TLS cost more than the
 * small page's whole request (docs/SCALING.md).
 *
 *   bench-responder SOCKET [THREADS]   serve on the unix socket SOCKET
 *   bench-responder --page [large]     print the page (nginx serves a copy
 *                                      as the static-file ceiling)
 *
 * The pages are built once at start-up into static buffers that the threads
 * only read. The socket is made connectable by any local user because
 * nginx's workers run as another user (www-data); the directory that holds
 * it is what guards access. SIGTERM and SIGINT end the process at once:
 * libfcgi would otherwise catch SIGTERM and keep waiting in accept(). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcgiapp.h>

#define PAGE_TARGET_BYTES 4096        /* about what a gatehouse form page weighs */
#define LARGE_PAGE_TARGET_BYTES 27648 /* the admin's user list, 25 rows (27 KB) */
#define PAGE_CAPACITY 32768           /* room for either page, with margin */
#define HEAD_CAPACITY 256
#define LARGE_PATH "/__bench/fcgi-large" /* nginx's DOCUMENT_URI for the large page */
#define THREADS_DEFAULT 4
#define THREADS_MAX 256
#define LISTEN_BACKLOG 1024
#define SOCKET_MODE 0666

struct fixed_page {
    char body[PAGE_CAPACITY];
    int body_len;
    char head[HEAD_CAPACITY];
    int head_len;
};

static struct fixed_page small_page, large_page;
static int listen_fd;

static const char page_top[] =
    "<!doctype html>\n"
    "<html lang=\"en\">\n"
    "<head>\n"
    "<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>Sign in - gatehouse bench</title>\n"
    "<link rel=\"stylesheet\" href=\"/static/vendor/bootstrap/css/bootstrap.min.css\">\n"
    "</head>\n"
    "<body class=\"bg-body-tertiary\">\n"
    "<main class=\"container py-5\" style=\"max-width: 28rem\">\n"
    "<h1 class=\"h3 mb-3\">Sign in</h1>\n"
    "<form method=\"post\" action=\"/login\" novalidate>\n"
    "<input type=\"hidden\" name=\"csrf\" value=\"bench-fixed-token-0000000000000000\">\n"
    "<div class=\"mb-3\"><label class=\"form-label\" for=\"email\">Email</label>\n"
    "<input class=\"form-control\" id=\"email\" name=\"email\" type=\"email\"\n"
    " autocomplete=\"username\" required></div>\n"
    "<div class=\"mb-3\"><label class=\"form-label\" for=\"password\">Password</label>\n"
    "<input class=\"form-control\" id=\"password\" name=\"password\" type=\"password\"\n"
    " autocomplete=\"current-password\" required></div>\n"
    "<button class=\"btn btn-primary w-100\" type=\"submit\">Sign in</button>\n"
    "</form>\n"
    "<ul class=\"list-unstyled small text-body-secondary mt-4\">\n";

static const char page_bottom[] =
    "</ul>\n"
    "</main>\n"
    "</body>\n"
    "</html>\n";

/* Fills the list between page_top and page_bottom with numbered lines until
 * the page reaches target bytes, so its size stays close to a real page's
 * whatever the fixed parts weigh. */
static void build_page(struct fixed_page *p, int target)
{
    int n = snprintf(p->body, sizeof(p->body), "%s", page_top);
    int bottom_len = (int)strlen(page_bottom);
    for (int line = 1; n + bottom_len < target; line++)
        n += snprintf(p->body + n, sizeof(p->body) - (size_t)n,
                      "<li>Filler line %d keeps this page the size of a real one.</li>\n",
                      line);
    n += snprintf(p->body + n, sizeof(p->body) - (size_t)n, "%s", page_bottom);
    p->body_len = n;
    p->head_len = snprintf(p->head, sizeof(p->head),
                           "Status: 200 OK\r\n"
                           "Content-Type: text/html; charset=utf-8\r\n"
                           "Content-Length: %d\r\n"
                           "Cache-Control: no-store\r\n"
                           "\r\n",
                           n);
}

static void on_stop(int sig)
{
    (void)sig;
    _exit(0);
}

static void *serve(void *unused)
{
    (void)unused;
    FCGX_Request req;
    if (FCGX_InitRequest(&req, listen_fd, 0) != 0)
        return NULL;
    while (FCGX_Accept_r(&req) == 0) {
        const char *uri = FCGX_GetParam("DOCUMENT_URI", req.envp);
        const struct fixed_page *p =
            uri && strcmp(uri, LARGE_PATH) == 0 ? &large_page : &small_page;
        FCGX_PutStr(p->head, p->head_len, req.out);
        FCGX_PutStr(p->body, p->body_len, req.out);
        FCGX_Finish_r(&req);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s SOCKET [THREADS] | --page [large]\n", argv[0]);
        return 2;
    }
    build_page(&small_page, PAGE_TARGET_BYTES);
    build_page(&large_page, LARGE_PAGE_TARGET_BYTES);
    if (strcmp(argv[1], "--page") == 0) {
        const struct fixed_page *p =
            argc == 3 && strcmp(argv[2], "large") == 0 ? &large_page : &small_page;
        fwrite(p->body, 1, (size_t)p->body_len, stdout);
        return fflush(stdout) == 0 ? 0 : 1;
    }

    int threads = THREADS_DEFAULT;
    if (argc == 3) {
        char *end;
        long n = strtol(argv[2], &end, 10);
        if (*end != '\0' || n < 1 || n > THREADS_MAX) {
            fprintf(stderr, "bench-responder: THREADS must be 1..%d\n", THREADS_MAX);
            return 2;
        }
        threads = (int)n;
    }

    const char *path = argv[1];
    if (FCGX_Init() != 0) {
        fprintf(stderr, "bench-responder: FCGX_Init failed\n");
        return 1;
    }
    unlink(path); /* a stale socket from a previous run */
    listen_fd = FCGX_OpenSocket(path, LISTEN_BACKLOG);
    if (listen_fd < 0 || chmod(path, SOCKET_MODE) != 0) {
        fprintf(stderr, "bench-responder: cannot listen on %s: %s\n", path,
                strerror(errno));
        return 1;
    }

    /* Installed before the first accept: libfcgi only puts its own SIGTERM
     * handler where the default one still is. */
    struct sigaction stop = { .sa_handler = on_stop };
    sigemptyset(&stop.sa_mask);
    sigaction(SIGTERM, &stop, NULL);
    sigaction(SIGINT, &stop, NULL);

    pthread_t tid[THREADS_MAX];
    int started = 0;
    for (; started < threads; started++)
        if (pthread_create(&tid[started], NULL, serve, NULL) != 0)
            break;
    if (started == 0) {
        fprintf(stderr, "bench-responder: no thread could start\n");
        return 1;
    }
    fprintf(stderr, "bench-responder: %d threads on %s, pages of %d and %d bytes\n", started,
            path, small_page.body_len, large_page.body_len);
    for (int i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
    return 0;
}
