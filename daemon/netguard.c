/*
 * netguard.c - address policy for outgoing connections (see netguard.h).
 *
 * The check runs when libcurl opens a socket, on the address it is about
 * to connect to, for every new connection of a transfer
 * (netguard_opensocket), and again before each request
 * (netguard_prereq), for connections taken from the pool; the
 * transfer's own libcurl callbacks call both.
 * Refusing makes libcurl fail the transfer (CURLE_COULDNT_CONNECT or
 * CURLE_ABORTED_BY_CALLBACK); g->refused tells the caller why.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "netguard.h"
#include "util.h"

/* One IPv4 block, host byte order. */
struct v4net {
	uint32_t net;
	int	 bits;
};

/*
 * Not reachable for a redirect: this host, private networks, shared
 * address space (CGNAT), link-local (cloud metadata at 169.254.169.254),
 * IETF protocol assignments, documentation, benchmarking, multicast,
 * reserved and broadcast.
 */
static const struct v4net v4_private[] = {
	{ 0x00000000, 8 },	/* 0.0.0.0/8 "this network" */
	{ 0x0a000000, 8 },	/* 10/8 */
	{ 0x64400000, 10 },	/* 100.64/10 shared address space */
	{ 0x7f000000, 8 },	/* 127/8 loopback */
	{ 0xa9fe0000, 16 },	/* 169.254/16 link-local */
	{ 0xac100000, 12 },	/* 172.16/12 */
	{ 0xc0000000, 24 },	/* 192.0.0/24 IETF */
	{ 0xc0000200, 24 },	/* 192.0.2/24 TEST-NET-1 */
	{ 0xc0a80000, 16 },	/* 192.168/16 */
	{ 0xc6120000, 15 },	/* 198.18/15 benchmarking */
	{ 0xc6336400, 24 },	/* 198.51.100/24 TEST-NET-2 */
	{ 0xcb007100, 24 },	/* 203.0.113/24 TEST-NET-3 */
	{ 0xe0000000, 4 },	/* 224/4 multicast */
	{ 0xf0000000, 4 },	/* 240/4 reserved, broadcast */
};

static int
v4_is_private(uint32_t a)
{
	size_t i;

	for (i = 0; i < sizeof(v4_private) / sizeof(v4_private[0]); i++) {
		uint32_t mask = 0xffffffffu << (32 - v4_private[i].bits);

		if ((a & mask) == v4_private[i].net)
			return 1;
	}
	return 0;
}

/* The IPv4 address at bytes 12..15 of an IPv6 address. */
static uint32_t
v6_tail_v4(const unsigned char *b)
{
	return (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 |
	    (uint32_t)b[14] << 8 | b[15];
}

static int
v6_is_private(const struct in6_addr *a)
{
	static const unsigned char nat64[12] = { 0x00, 0x64, 0xff, 0x9b };
	const unsigned char *b = a->s6_addr;

	if (IN6_IS_ADDR_UNSPECIFIED(a) || IN6_IS_ADDR_LOOPBACK(a))
		return 1;
	/* ::ffff:a.b.c.d and the deprecated ::a.b.c.d carry IPv4 */
	if (IN6_IS_ADDR_V4MAPPED(a) || IN6_IS_ADDR_V4COMPAT(a))
		return v4_is_private(v6_tail_v4(b));
	/* 64:ff9b::/96 translates to IPv4 on a NAT64 gateway */
	if (memcmp(b, nat64, sizeof(nat64)) == 0)
		return v4_is_private(v6_tail_v4(b));
	if ((b[0] & 0xfe) == 0xfc)		/* fc00::/7 unique local */
		return 1;
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)	/* fe80::/10 */
		return 1;
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)	/* fec0::/10 site */
		return 1;
	if (b[0] == 0xff)			/* multicast */
		return 1;
	return 0;
}

int
netguard_addr_is_private(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		return v4_is_private(ntohl(in->sin_addr.s_addr));
	}
	if (sa->sa_family == AF_INET6)
		return v6_is_private(
		    &((const struct sockaddr_in6 *)sa)->sin6_addr);
	return 1;	/* anything else is not the internet */
}

int
netguard_parse_ip(const char *text, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &in->sin_addr) == 1)
		in->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1)
		in6->sin6_family = AF_INET6;
	else
		return -1;
	return 0;
}

/* Host (lower case) and port of url; 0, or -1 if it does not parse. */
static int
netguard_origin(const char *url, char *host, size_t hostlen, char *port,
    size_t portlen)
{
	CURLU *u;
	char *h = NULL, *p = NULL;
	int rc = -1;
	size_t i;

	if ((u = curl_url()) == NULL)
		return -1;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK || strlen(h) >= hostlen || strlen(p) >= portlen)
		goto done;
	for (i = 0; h[i] != '\0'; i++)
		host[i] = (char)tolower((unsigned char)h[i]);
	host[i] = '\0';
	str_copy(port, p, portlen);
	rc = 0;
done:
	curl_free(h);
	curl_free(p);
	curl_url_cleanup(u);
	return rc;
}

/*
 * Is this connection for the origin the user configured?  True on the
 * first hop and on a redirect back to the same host:port, spelled the
 * same: the user trusts that server already.  libcurl updates the
 * effective URL and the redirect count before it connects to a new hop.
 */
static int
netguard_is_origin(struct netguard *g)
{
	char host[NETGUARD_HOST_MAX], port[sizeof(g->origin_port)];
	long redirects = 0;
	char *url = NULL;

	if (!g->trust_origin)
		return 0;
	if (curl_easy_getinfo(g->easy, CURLINFO_REDIRECT_COUNT, &redirects) !=
	    CURLE_OK)
		return 0;
	if (redirects == 0)
		return 1;
	if (curl_easy_getinfo(g->easy, CURLINFO_EFFECTIVE_URL, &url) !=
	    CURLE_OK || url == NULL ||
	    netguard_origin(url, host, sizeof(host), port, sizeof(port)) != 0)
		return 0;
	return strcmp(host, g->origin_host) == 0 &&
	    strcmp(port, g->origin_port) == 0;
}

static void
netguard_note_refusal(struct netguard *g, const struct sockaddr *sa)
{
	const void *a = NULL;

	g->refused = 1;
	if (sa->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (a == NULL || inet_ntop(sa->sa_family, a, g->refused_addr,
	    sizeof(g->refused_addr)) == NULL)
		str_copy(g->refused_addr, "a non-internet address",
		    sizeof(g->refused_addr));
}

curl_socket_t
netguard_opensocket(void *clientp, curlsocktype purpose,
    struct curl_sockaddr *address)
{
	struct netguard *g = clientp;
	const struct sockaddr *sa = &address->addr;

	if (purpose != CURLSOCKTYPE_IPCXN)
		return CURL_SOCKET_BAD;
	if (!g->allow_private && netguard_addr_is_private(sa) &&
	    !netguard_is_origin(g)) {
		netguard_note_refusal(g, sa);
		return CURL_SOCKET_BAD;
	}
	return socket(address->family, address->socktype | SOCK_CLOEXEC,
	    address->protocol);
}

/*
 * A reused connection opens no socket, so the same check runs again just
 * before each request, on the address the connection is to.
 */
int
netguard_prereq(void *clientp, char *primary_ip, char *local_ip,
    int primary_port, int local_port)
{
	struct netguard *g = clientp;
	struct sockaddr_storage ss;

	if (netguard_parse_ip(primary_ip, &ss) != 0)
		ss.ss_family = AF_UNSPEC;	/* counts as private */
	if (!g->allow_private &&
	    netguard_addr_is_private((struct sockaddr *)&ss) &&
	    !netguard_is_origin(g)) {
		netguard_note_refusal(g, (struct sockaddr *)&ss);
		return CURL_PREREQFUNC_ABORT;
	}
	return CURL_PREREQFUNC_OK;
}

int
netguard_attach(struct netguard *g, CURL *easy, const char *url,
    int trust_origin, int allow_private)
{
	memset(g, 0, sizeof(*g));
	g->easy = easy;
	g->trust_origin = trust_origin;
	g->allow_private = allow_private;
	if (netguard_origin(url, g->origin_host, sizeof(g->origin_host),
	    g->origin_port, sizeof(g->origin_port)) != 0)
		return -1;
	return 0;
}
