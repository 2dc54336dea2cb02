/*
 * test_netguard.c - which addresses a redirect may not reach.
 */
#include <string.h>

#include "netguard.h"
#include "test.h"

/* 1 private, 0 public, -1 if text is not an address. */
static int
classify(const char *text)
{
	struct sockaddr_storage ss;

	if (netguard_parse_ip(text, &ss) != 0)
		return -1;
	return netguard_addr_is_private((struct sockaddr *)&ss);
}

int
main(void)
{
	static const char *const private[] = {
		"127.0.0.1", "127.255.255.254", "0.0.0.0", "10.1.2.3",
		"172.16.0.1", "172.31.255.255", "192.168.1.1",
		"169.254.169.254", "100.64.0.1", "100.127.255.255",
		"224.0.0.1", "255.255.255.255", "198.18.0.1",
		"::1", "::", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
		"::127.0.0.1", "64:ff9b::a9fe:a9fe", "fc00::1", "fd12:3456::1",
		"fe80::1", "fec0::1", "ff02::1",
	};
	static const char *const public[] = {
		"1.1.1.1", "8.8.8.8", "93.184.216.34", "172.15.255.255",
		"172.32.0.1", "100.63.255.255", "100.128.0.1", "11.0.0.1",
		"169.253.255.255", "192.169.0.1", "126.255.255.255",
		"2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808",
		"2001:db8::1",
	};
	struct sockaddr sa;
	size_t i;

	for (i = 0; i < sizeof(private) / sizeof(private[0]); i++)
		CHECK_INT(classify(private[i]), 1);
	for (i = 0; i < sizeof(public) / sizeof(public[0]); i++)
		CHECK_INT(classify(public[i]), 0);
	/* anything but IPv4 and IPv6 is not the internet */
	memset(&sa, 0, sizeof(sa));
	sa.sa_family = AF_UNIX;
	CHECK_INT(netguard_addr_is_private(&sa), 1);
	CHECK_INT(classify("localhost"), -1);	/* names are not addresses */
	CHECK_INT(classify("2130706433"), -1);
	return TEST_DONE();
}
