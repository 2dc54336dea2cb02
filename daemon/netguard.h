/*
 * netguard.h - which addresses an outgoing connection may reach (SSRF).
 *
 * Owns the address policy and the open-socket and pre-request checks
 * that enforce it on the address libcurl
 * connects to (or reuses a connection to), after DNS,
 * so spellings (decimal IPv4, "localhost", ::ffff:127.0.0.1) and DNS
 * rebinding do not get around it.  Knows nothing of feeds or the loop.
 *
 * Policy: the URL the user configured may point anywhere (their LAN server
 * is legitimate).  A redirect to another host:port, or a URL taken from
 * feed content, may not reach a loopback, private, link-local, CGNAT,
 * multicast or unspecified address unless allow_private_redirects = yes.
 */
#ifndef TIDINGS_NETGUARD_H
#define TIDINGS_NETGUARD_H

#include <sys/socket.h>

#include <curl/curl.h>

#define NETGUARD_HOST_MAX	256

/* One per transfer; lives as long as the easy handle. */
struct netguard {
	CURL	*easy;
	int	 allow_private;		/* allow_private_redirects = yes */
	int	 trust_origin;		/* the URL came from the user */
	char	 origin_host[NETGUARD_HOST_MAX];	/* lower case */
	char	 origin_port[8];
	int	 refused;		/* a connection was refused */
	char	 refused_addr[64];	/* printable, for the error */
};

/* 1 if sa is an address a redirect must not reach by default. */
int	netguard_addr_is_private(const struct sockaddr *sa);
/* A printable IPv4 or IPv6 address into ss; 0, or -1 if it is neither. */
int	netguard_parse_ip(const char *text, struct sockaddr_storage *ss);
/*
 * Sets up g for a transfer of url on easy.  trust_origin: url was
 * configured by the user (its own host:port is allowed whatever it
 * resolves to).  0, or -1 if url does not parse.
 */
int	netguard_attach(struct netguard *g, CURL *easy, const char *url,
	    int trust_origin, int allow_private);
/*
 * The checks, in the shape of libcurl's callbacks (clientp is g); the
 * transfer's own CURLOPT_OPENSOCKETFUNCTION and CURLOPT_PREREQFUNCTION
 * must call them (libcurl has one of each per transfer).  The socket, or
 * CURL_SOCKET_BAD when refused; for a connection taken from the pool,
 * CURL_PREREQFUNC_OK, or CURL_PREREQFUNC_ABORT when refused.
 */
curl_socket_t netguard_opensocket(void *clientp, curlsocktype purpose,
	    struct curl_sockaddr *address);
int	netguard_prereq(void *clientp, char *primary_ip, char *local_ip,
	    int primary_port, int local_port);

#endif
