/*
 * tests/test-models-handlespace.c - the handlespace: registration checks and
 * their error causes, attributes, deregistration, ownership checksums,
 * takeover and audit marks, lifetime expiry through the kernel, cursors, and
 * a seeded random sequence of 10^5 operations checked by the invariant
 * checker after every one.
 */
#include "config.h"

#include "models/handlespace.h"
#include "models/handlespace-private.h"

#include <string.h>

#define H(s) ((const guint8 *) (s)), (sizeof (s) - 1)

static HsRegistration
reg_for (guint32 id, guint32 type)
{
  HsRegistration r;
  memset (&r, 0, sizeof r);
  r.pe_id = id;
  r.home_registrar = 100;
  r.credential = 1000 + id;
  r.reg_life_ms = -1;
  r.policy.type = type;
  r.user.type = HS_TRANSPORT_SCTP;
  r.user.use = HS_USE_DATA;
  r.user.port = 5000;
  r.user.n_addrs = 1;
  r.user.addrs[0].family = HS_AF_IPV4;
  r.user.addrs[0].bytes[0] = 10;
  r.user.addrs[0].bytes[2] = (guint8) (id >> 8);
  r.user.addrs[0].bytes[3] = (guint8) id;
  return r;
}

/* A new PE reads back every attribute it registered with. */
static void
test_register_new (void)
{
  g_autoptr (HsHandlespace) hs = hs_handlespace_new (NULL);
  HsRegistration r = reg_for (0xdeadbeef, HS_POLICY_LUD);
  r.policy.load = 123;
  r.policy.load_degradation = 7;
  r.policy.weight = 99;  /* not used by LUD: stored as 0 */
  r.reg_life_ms = 30000;
  r.user.n_addrs = 2;
  r.user.addrs[1].family = HS_AF_IPV6;
  memset (r.user.addrs[1].bytes, 0xab, 16);
  r.user.use = HS_USE_DATA_CONTROL;
  r.asap.port = 3863;
  r.asap.n_addrs = 1;
  r.asap.addrs[0].family = HS_AF_IPV4;
  r.asap.addrs[0].bytes[0] = 192;
  HsPoolElement *pe = NULL;
  gboolean created = FALSE;
  g_assert_cmpint (hs_handlespace_register (hs, H ("calc"), &r, 0, &pe, &created), ==, HS_OK);
  g_assert_true (created);
  g_assert_true (pe == hs_handlespace_find (hs, H ("calc"), 0xdeadbeef));
  g_assert_null (hs_handlespace_find (hs, H ("calc"), 0xdeadbeee));
  g_assert_null (hs_handlespace_find (hs, H ("calx"), 0xdeadbeef));
  g_assert_cmphex (hs_pe_get_id (pe), ==, 0xdeadbeef);
  g_assert_cmpuint (hs_pe_get_home_registrar (pe), ==, 100);
  g_assert_cmpuint (hs_pe_get_credential (pe), ==, 1000 + 0xdeadbeefu);
  g_assert_cmpint (hs_pe_get_registration_life (pe), ==, 30000);
  g_assert_cmpint (hs_pe_get_expiry (pe), ==, 30 * SIM_S);  /* no kernel: now = 0 */
  HsPolicy p;
  hs_pe_get_policy (pe, &p);
  g_assert_cmphex (p.type, ==, HS_POLICY_LUD);
  g_assert_cmpuint (p.load, ==, 123);
  g_assert_cmpuint (p.load_degradation, ==, 7);
  g_assert_cmpuint (p.weight, ==, 0);
  HsTransport t;
  hs_pe_get_user_transport (pe, &t);
  g_assert_cmpuint (t.type, ==, HS_TRANSPORT_SCTP);
  g_assert_cmpuint (t.use, ==, HS_USE_DATA_CONTROL);
  g_assert_cmpuint (t.port, ==, 5000);
  g_assert_cmpuint (t.n_addrs, ==, 2);
  g_assert_cmpmem (&t.addrs[0], sizeof (HsAddress), &r.user.addrs[0], sizeof (HsAddress));
  g_assert_cmpmem (&t.addrs[1], sizeof (HsAddress), &r.user.addrs[1], sizeof (HsAddress));
  hs_pe_get_asap_transport (pe, &t);
  g_assert_cmpuint (t.port, ==, 3863);
  g_assert_cmpuint (t.n_addrs, ==, 1);
  g_assert_cmpuint (t.addrs[0].bytes[0], ==, 192);
  HsPool *pool = hs_pe_get_pool (pe);
  gsize len;
  g_assert_cmpmem (hs_pool_get_handle (pool, &len), 4, "calc", 4);
  g_assert_cmpuint (len, ==, 4);
  g_assert_cmphex (hs_pool_get_policy_type (pool), ==, HS_POLICY_LUD);
  g_assert_cmpuint (hs_pool_get_transport_type (pool), ==, HS_TRANSPORT_SCTP);
  g_assert_cmpuint (hs_pool_get_transport_use (pool), ==, HS_USE_DATA_CONTROL);
  g_assert_cmpuint (hs_handlespace_pool_count (hs), ==, 1);
  g_assert_cmpuint (hs_handlespace_pool_element_count (hs), ==, 1);
  g_assert_true (hs_handlespace_sanity (hs));
}

/* A re-registration updates the PE in place: same pointer, new values, new owner; bad reports stay. */
static void
test_register_update (void)
{
  g_autoptr (HsHandlespace) hs = hs_handlespace_new (NULL);
  HsRegistration r = reg_for (5, HS_POLICY_WRAND);
  r.policy.weight = 3;
  HsPoolElement *pe = NULL, *again = NULL;
  g_assert_cmpint (hs_handlespace_register (hs, H ("p"), &r, 0, &pe, NULL), ==, HS_OK);
  g_assert_cmpuint (hs_pe_report_unreachable (pe), ==, 1);
  r.policy.weight = 8;
  r.home_registrar = 200;
  r.credential = 77;
  r.user.port = 6000;
  r.user.n_addrs = 3;  /* 15 address bytes + 0 ASAP: still inline */
  r.user.addrs[1] = r.user.addrs[0];
  r.user.addrs[2] = r.user.addrs[0];
  r.user.addrs[2].bytes[1] = 9;
  gboolean created = TRUE;
  g_assert_cmpint (hs_handlespace_register (hs, H ("p"), &r, 0, &again, &created), ==, HS_OK);
  g_assert_false (created);
  g_assert_true (pe == again);
  HsPolicy p;
  hs_pe_get_policy (pe, &p);
  g_assert_cmpuint (p.weight, ==, 8);
  g_assert_cmpuint (hs_pe_get_home_registrar (pe), ==, 200);
  g_assert_cmpuint (hs_pe_get_credential (pe), ==, 77);
  g_assert_cmpuint (hs_pe_get_bad_reports (pe), ==, 1);
  HsTransport t;
  hs_pe_get_user_transport (pe, &t);
  g_assert_cmpuint (t.port, ==, 6000);
  g_assert_cmpuint (t.n_addrs, ==, 3);
  g_assert_cmpuint (t.addrs[2].bytes[1], ==, 9);
  g_assert_cmpuint (hs_handlespace_owner_count (hs, 100), ==, 0);
  g_assert_cmpuint (hs_handlespace_owner_count (hs, 200), ==, 1);
  /* Many addresses go to the heap and come back intact. */
  r.user.n_addrs = HS_MAX_ADDRESSES;
  r.asap.n_addrs = HS_MAX_ADDRESSES;
  for (guint i = 0; i < HS_MAX_ADDRESSES; i++)
    {
      r.user.addrs[i].family = HS_AF_IPV6;
      memset (r.user.addrs[i].bytes, (int) i + 1, 16);
      r.asap.addrs[i].family = HS_AF_IPV4;
      memset (r.asap.addrs[i].bytes, 0, 16);
      r.asap.addrs[i].bytes[3] = (guint8) i;
    }
  g_assert_cmpint (hs_handlespace_register (hs, H ("p"), &r, 0, NULL, NULL), ==, HS_OK);
  hs_pe_get_user_transport (pe, &t);
  g_assert_cmpuint (t.n_addrs, ==, HS_MAX_ADDRESSES);
  g_assert_cmpmem (t.addrs, sizeof t.addrs, r.user.addrs, sizeof r.user.addrs);
  hs_pe_get_asap_transport (pe, &t);
  g_assert_cmpmem (t.addrs, sizeof t.addrs, r.asap.addrs, sizeof r.asap.addrs);
  g_assert_cmpuint (hs_handlespace_pool_element_count (hs), ==, 1);
  g_assert_true (hs_handlespace_sanity (hs));
}

/* RFC 5352 §3.1: policy, transport type and data/control use must match the pool's: causes 0x5, 0x7, 0x8. */
static void
test_register_inconsistent (void)
{
  g_autoptr (HsHandlespace) hs = hs_handlespace_new (NULL);
  HsRegistration r = reg_for (1, HS_POLICY_RR);
  g_assert_cmpint (hs_handlespace_register (hs, H ("p"), &r, 0, NULL, NULL), ==, HS_OK);

  HsRegistration bad = reg_for (2, HS_POLICY_RAND);
  g_assert_cmpint (hs_handlespace_register (hs, H ("p"), &bad, 0, NULL, NULL), ==, HS_ERR_INCONSISTENT_POLICY);
  g_assert_cmpint (HS_ERR_INCONSISTENT_POLICY, ==, 0x5);
  bad = reg_for (2, HS_POLICY_RR);
  bad.user.type = HS_TRANSPORT_TCP;
  g_assert_cmpint (hs_handlespace_register (hs, H ("p"), &bad, 0, NULL, NULL), ==, HS_ERR_INCONSISTENT_TRANSPORT);
  g_assert_cmpint (HS_ERR_INCONSISTENT_TRANSPORT, ==, 0x7);
  bad = reg_for (2, HS_POLICY_RR);
  bad.user.use = HS_USE_DATA_CONTROL;
  g_assert_cmpint (hs_handlespace_register (hs, H ("p"), &bad, 0, NULL, NULL), ==, HS_ERR_INCONSISTENT_DATA_CONTROL);
  g_assert_cmpint (HS_ERR_INCONSISTENT_DATA_CONTROL, ==, 0x8);
  /* The existing PE cannot change the pool's policy either, even as its only member. */
  bad = reg_for (1, HS_POLICY_LU);
  g_assert_cmpint (hs_handlespace_register (hs, H ("p"), &bad, 0, NULL, NULL), ==, HS_ERR_INCONSISTENT_POLICY);
  /* Nothing changed. */
  g_assert_cmpuint (hs_handlespace_pool_element_count (hs), ==, 1);
  g_assert_null (hs_handlespace_find (hs, H ("p"), 2));
  /* A different pool has its own settings. */
  g_assert_cmpint (hs_handlespace_register (hs, H ("q"), &bad, 0, NULL, NULL), ==, HS_OK);
  g_assert_cmpstr (hs_result_to_string (HS_ERR_INCONSISTENT_DATA_CONTROL), ==, "inconsistent data/control configuration");
  g_assert_true (hs_handlespace_sanity (hs));
}

/* Invalid values (cause 0x3) and too many addresses (0x6) are refused before anything changes. */
static void
test_register_invalid (void)
{
  g_autoptr (HsHandlespace) hs = hs_handlespace_new (NULL);
  HsRegistration r;
  g_assert_cmpint (HS_ERR_INVALID_VALUES, ==, 0x3);

  r = reg_for (1, HS_POLICY_RR);
  g_assert_cmpint (hs_handlespace_register (hs, (const guint8 *) "", 0, &r, 0, NULL, NULL), ==, HS_ERR_INVALID_VALUES);
  guint32 bad_types[] = { 0, 6, 0x40000000, 0x40000005, 0xb0001003 };
  for (guint i = 0; i < G_N_ELEMENTS (bad_types); i++)
    {
      r = reg_for (1, bad_types[i]);
      g_assert_cmpint (hs_handlespace_register (hs, H ("p"), &r, 0, NULL, NULL), ==, HS_ERR_INVALID_VALUES);
    }
  gint32 bad_life[] = { 0, -2, G_MININT32 };
  for (guint i = 0; i < G_N_ELEMENTS (bad_life); i++)
    {
      r = reg_for (1, HS_POLICY_RR);
      r.reg_life_ms = bad_life[i];
      g_assert_cmpint (hs_handlespace_register (hs, H ("p"), &r, 0, NULL, NULL), ==, HS_ERR_INVALID_VALUES);
    }
  r = reg_for (1, HS_POLICY_RR);
  r.user.type = HS_TRANSPORT_TCP;
  r.user.n_addrs = 2;
  r.user.addrs[1] = r.user.addrs[0];
  g_assert_cmpint (hs_handlespace_register (hs, H ("p"), &r, 0, NULL, NULL), ==, HS_ERR_INVALID_VALUES);
  r = reg_for (1, HS_POLICY_RR);
  r.user.type = HS_TRANSPORT_UDP;
  r.user.use = HS_USE_DATA_CONTROL;
  g_assert_cmpint (hs_handlespace_register (hs, H ("p"), &r, 0, NULL, NULL), ==, HS_ERR_INVALID_VALUES);
  r = reg_for (1, HS_POLICY_RR);
  r.user.n_addrs = 0;
  g_assert_cmpint (hs_handlespace_register (hs, H ("p"), &r, 0, NULL, NULL), ==, HS_ERR_INVALID_VALUES);
  r = reg_for (1, HS_POLICY_RR);
  r.user.addrs[0].family = 5;
  g_assert_cmpint (hs_handlespace_register (hs, H ("p"), &r, 0, NULL, NULL), ==, HS_ERR_INVALID_VALUES);
  r = reg_for (1, HS_POLICY_RR);
  r.user.type = 0x10;  /* opaque transport: not supported */
  g_assert_cmpint (hs_handlespace_register (hs, H ("p"), &r, 0, NULL, NULL), ==, HS_ERR_INVALID_VALUES);
  r = reg_for (1, HS_POLICY_RR);
  r.user.use = 2;
  g_assert_cmpint (hs_handlespace_register (hs, H ("p"), &r, 0, NULL, NULL), ==, HS_ERR_INVALID_VALUES);
  r = reg_for (1, HS_POLICY_RR);
  r.user.n_addrs = HS_MAX_ADDRESSES + 1;
  g_assert_cmpint (hs_handlespace_register (hs, H ("p"), &r, 0, NULL, NULL), ==, HS_ERR_LACK_OF_RESOURCES);
  g_assert_cmpuint (hs_handlespace_pool_count (hs), ==, 0);
  /* DCCP with one address and a service code is fine. */
  r = reg_for (1, HS_POLICY_RR);
  r.user.type = HS_TRANSPORT_DCCP;
  r.user.dccp_service_code = 0x12345678;
  HsPoolElement *pe;
  g_assert_cmpint (hs_handlespace_register (hs, H ("p"), &r, 0, &pe, NULL), ==, HS_OK);
  HsTransport t;
  hs_pe_get_user_transport (pe, &t);
  g_assert_cmphex (t.dccp_service_code, ==, 0x12345678);
  g_assert_true (hs_handlespace_sanity (hs));
}

/* With HS_REGISTER_SAME_CREDENTIAL a PE identifier held through another credential is refused (0x4). */
static void
test_register_same_credential (void)
{
  g_autoptr (HsHandlespace) hs = hs_handlespace_new (NULL);
  HsRegistration r = reg_for (9, HS_POLICY_RR);
  g_assert_cmpint (hs_handlespace_register (hs, H ("p"), &r, HS_REGISTER_SAME_CREDENTIAL, NULL, NULL), ==, HS_OK);
  HsRegistration spoof = r;
  spoof.credential = 666;
  spoof.user.port = 1;
  g_assert_cmpint (hs_handlespace_register (hs, H ("p"), &spoof, HS_REGISTER_SAME_CREDENTIAL, NULL, NULL), ==,
                   HS_ERR_NON_UNIQUE_PE_ID);
  HsTransport t;
  hs_pe_get_user_transport (hs_handlespace_find (hs, H ("p"), 9), &t);
  g_assert_cmpuint (t.port, ==, 5000);
  /* The owner itself may re-register; without the flag anybody may (an unprotected registrar). */
  g_assert_cmpint (hs_handlespace_register (hs, H ("p"), &r, HS_REGISTER_SAME_CREDENTIAL, NULL, NULL), ==, HS_OK);
  g_assert_cmpint (hs_handlespace_register (hs, H ("p"), &spoof, 0, NULL, NULL), ==, HS_OK);
  g_assert_cmpuint (hs_pe_get_credential (hs_handlespace_find (hs, H ("p"), 9)), ==, 666);
}

/* The PE limit refuses new PEs with lack of resources (0x6) but still accepts re-registrations. */
static void
test_register_limit (void)
{
  g_autoptr (HsHandlespace) hs = hs_handlespace_new (NULL);
  hs_handlespace_set_max_pool_elements (hs, 3);
  for (guint32 id = 1; id <= 3; id++)
    {
      HsRegistration r = reg_for (id, HS_POLICY_RR);
      g_assert_cmpint (hs_handlespace_register (hs, H ("p"), &r, 0, NULL, NULL), ==, HS_OK);
    }
  HsRegistration r = reg_for (4, HS_POLICY_RR);
  g_assert_cmpint (hs_handlespace_register (hs, H ("other"), &r, 0, NULL, NULL), ==, HS_ERR_LACK_OF_RESOURCES);
  g_assert_cmpuint (hs_handlespace_pool_count (hs), ==, 1);
  r = reg_for (2, HS_POLICY_RR);
  g_assert_cmpint (hs_handlespace_register (hs, H ("p"), &r, 0, NULL, NULL), ==, HS_OK);
}

/* Deregistration removes the PE, deletes the pool with its last PE, and reports unknown PEs. */
static void
test_deregister (void)
{
  g_autoptr (HsHandlespace) hs = hs_handlespace_new (NULL);
  for (guint32 id = 1; id <= 3; id++)
    {
      HsRegistration r = reg_for (id, HS_POLICY_LU);
      g_assert_cmpint (hs_handlespace_register (hs, H ("p"), &r, 0, NULL, NULL), ==, HS_OK);
    }
  g_assert_true (hs_handlespace_deregister (hs, H ("p"), 2));
  g_assert_false (hs_handlespace_deregister (hs, H ("p"), 2));
  g_assert_false (hs_handlespace_deregister (hs, H ("nope"), 1));
  g_assert_cmpuint (hs_pool_get_count (hs_handlespace_find_pool (hs, H ("p"))), ==, 2);
  g_assert_true (hs_handlespace_sanity (hs));
  hs_handlespace_remove (hs, hs_handlespace_find (hs, H ("p"), 1));
  g_assert_true (hs_handlespace_deregister (hs, H ("p"), 3));
  g_assert_null (hs_handlespace_find_pool (hs, H ("p")));
  g_assert_cmpuint (hs_handlespace_pool_count (hs), ==, 0);
  HsResult res = HS_OK;
  HsPoolElement *out[1];
  g_assert_cmpuint (hs_handlespace_select (hs, H ("p"), NULL, out, 1, &res), ==, 0);
  g_assert_cmpint (res, ==, HS_ERR_UNKNOWN_POOL_HANDLE);
  /* The pool can be created again with another policy. */
  HsRegistration r = reg_for (1, HS_POLICY_RAND);
  g_assert_cmpint (hs_handlespace_register (hs, H ("p"), &r, 0, NULL, NULL), ==, HS_OK);
  g_assert_true (hs_handlespace_sanity (hs));
}

/* Ownership checksums (RFC 5353 §3.6) equal values computed by hand. */
static void
test_checksum_hand_computed (void)
{
  g_autoptr (HsHandlespace) hs = hs_handlespace_new (NULL);
  HsRegistration r = reg_for (0x01020304, HS_POLICY_RR);
  g_assert_cmphex (hs_handlespace_owner_checksum (hs, 100), ==, 0xffff);  /* no PEs: ~0 */
  /* "ab" padded: 61 62 00 00, id 01 02 03 04: 0x6162 + 0x0102 + 0x0304 = 0x6568 -> ~ = 0x9a97. */
  g_assert_cmpint (hs_handlespace_register (hs, H ("ab"), &r, 0, NULL, NULL), ==, HS_OK);
  g_assert_cmphex (hs_handlespace_owner_checksum (hs, 100), ==, 0x9a97);
  /* + "ab" with id ff ff 00 01: 0x6568 + 0x6162 + 0xffff + 0x0001 = 0x1c6ca -> 0xc6cb -> ~ = 0x3934. */
  r.pe_id = 0xffff0001;
  g_assert_cmpint (hs_handlespace_register (hs, H ("ab"), &r, 0, NULL, NULL), ==, HS_OK);
  g_assert_cmphex (hs_handlespace_owner_checksum (hs, 100), ==, 0x3934);
  /* + "abc" (61 62 63 00) with id 00 00 00 01: 0xc6cb + 0x6162 + 0x6300 + 0x0001 = 0x18b2e -> 0x8b2f -> 0x74d0. */
  r.pe_id = 1;
  g_assert_cmpint (hs_handlespace_register (hs, H ("abc"), &r, 0, NULL, NULL), ==, HS_OK);
  g_assert_cmphex (hs_handlespace_owner_checksum (hs, 100), ==, 0x74d0);
  /* Another owner's PEs do not count for owner 100. */
  r.home_registrar = 5;
  r.pe_id = 2;
  g_assert_cmpint (hs_handlespace_register (hs, H ("abc"), &r, 0, NULL, NULL), ==, HS_OK);
  g_assert_cmphex (hs_handlespace_owner_checksum (hs, 100), ==, 0x74d0);
  /* 0x6162 + 0x6300 + 0x0002 = 0xc464 -> ~ = 0x3b9b */
  g_assert_cmphex (hs_handlespace_owner_checksum (hs, 5), ==, 0x3b9b);
  /* Removing a PE subtracts it again. */
  g_assert_true (hs_handlespace_deregister (hs, H ("ab"), 0xffff0001));
  /* 0x6568 + 0x6162 + 0x6300 + 0x0001 = 0x129cb -> 0x29cc -> 0xd633 */
  g_assert_cmphex (hs_handlespace_owner_checksum (hs, 100), ==, 0xd633);
  g_assert_true (hs_handlespace_sanity (hs));
}

/* A nonzero sum that is a multiple of 0xffff folds to 0xffff, so the checksum is 0x0000, not 0xffff. */
static void
test_checksum_negative_zero (void)
{
  g_autoptr (HsHandlespace) hs = hs_handlespace_new (NULL);
  HsRegistration r = reg_for (0, HS_POLICY_RR);
  g_assert_cmpint (hs_handlespace_register (hs, (const guint8 *) "\xff\xff", 2, &r, 0, NULL, NULL), ==, HS_OK);
  g_assert_cmphex (hs_handlespace_owner_checksum (hs, 100), ==, 0x0000);
  const guint8 block[] = { 0xff, 0xff, 0, 0, 0, 0, 0, 0 };
  g_assert_cmphex (hs_internet_checksum (block, sizeof block), ==, 0x0000);
  /* An all-zero handle and identifier sum to 0: checksum 0xffff, as for no PE. */
  g_assert_cmpint (hs_handlespace_register (hs, (const guint8 *) "\0", 1, &r, 0, NULL, NULL), ==, HS_OK);
  r.home_registrar = 6;
  g_assert_cmpint (hs_handlespace_register (hs, (const guint8 *) "\0\0", 2, &r, 0, NULL, NULL), ==, HS_OK);
  g_assert_cmphex (hs_handlespace_owner_checksum (hs, 6), ==, 0xffff);
  g_assert_true (hs_handlespace_sanity (hs));
}

/* Takeover (RFC 5353 §3.5) moves every PE, its count and checksum to the new owner. */
static void
test_owner_takeover (void)
{
  g_autoptr (HsHandlespace) hs = hs_handlespace_new (NULL);
  for (guint32 id = 1; id <= 50; id++)
    {
      HsRegistration r = reg_for (id, HS_POLICY_RR);
      r.home_registrar = id % 2 == 0 ? 1 : 2;
      g_assert_cmpint (hs_handlespace_register (hs, id % 3 == 0 ? (const guint8 *) "x" : (const guint8 *) "y", 1,
                                                &r, 0, NULL, NULL), ==, HS_OK);
    }
  guint16 before1 = hs_handlespace_owner_checksum (hs, 1);
  g_assert_cmpuint (hs_handlespace_owner_count (hs, 1), ==, 25);
  g_assert_cmpuint (hs_handlespace_take_over (hs, 1, 3), ==, 25);
  g_assert_cmpuint (hs_handlespace_owner_count (hs, 1), ==, 0);
  g_assert_cmpuint (hs_handlespace_owner_count (hs, 3), ==, 25);
  g_assert_cmphex (hs_handlespace_owner_checksum (hs, 3), ==, before1);
  g_assert_cmphex (hs_handlespace_owner_checksum (hs, 1), ==, 0xffff);
  g_assert_cmpuint (hs_pe_get_home_registrar (hs_handlespace_find (hs, H ("y"), 4)), ==, 3);
  /* Taking over into an owner that already has PEs merges them. */
  g_assert_cmpuint (hs_handlespace_take_over (hs, 2, 3), ==, 25);
  g_assert_cmpuint (hs_handlespace_owner_count (hs, 3), ==, 50);
  g_assert_cmpuint (hs_handlespace_take_over (hs, 9, 3), ==, 0);
  g_assert_true (hs_handlespace_sanity (hs));
}

/* Audit resync (RFC 5353 §3.6): marked PEs that are not re-announced are purged, the others stay. */
static void
test_owner_mark_purge (void)
{
  g_autoptr (HsHandlespace) hs = hs_handlespace_new (NULL);
  for (guint32 id = 1; id <= 10; id++)
    {
      HsRegistration r = reg_for (id, HS_POLICY_RR);
      r.home_registrar = id <= 6 ? 1 : 2;
      g_assert_cmpint (hs_handlespace_register (hs, H ("p"), &r, 0, NULL, NULL), ==, HS_OK);
    }
  g_assert_cmpuint (hs_handlespace_mark_owner (hs, 1), ==, 6);
  g_assert_true (hs_pe_is_marked (hs_handlespace_find (hs, H ("p"), 3)));
  g_assert_false (hs_pe_is_marked (hs_handlespace_find (hs, H ("p"), 7)));
  for (guint32 id = 1; id <= 3; id++)
    {
      HsRegistration r = reg_for (id, HS_POLICY_RR);
      r.home_registrar = 1;
      g_assert_cmpint (hs_handlespace_register (hs, H ("p"), &r, 0, NULL, NULL), ==, HS_OK);
    }
  g_assert_false (hs_pe_is_marked (hs_handlespace_find (hs, H ("p"), 3)));
  g_assert_cmpuint (hs_handlespace_purge_marked (hs, 1), ==, 3);
  g_assert_cmpuint (hs_handlespace_owner_count (hs, 1), ==, 3);
  g_assert_null (hs_handlespace_find (hs, H ("p"), 4));
  g_assert_cmpuint (hs_handlespace_pool_element_count (hs), ==, 7);
  g_assert_true (hs_handlespace_sanity (hs));
}

typedef struct {
  GArray *expired;  /* guint32 PE ids */
  SimTime at;
} ExpiryLog;

static void
log_expiry (HsHandlespace *hs, HsPoolElement *pe, gpointer user_data)
{
  ExpiryLog *log = user_data;
  guint32 id = hs_pe_get_id (pe);
  g_array_append_val (log->expired, id);
  log->at = hs_handlespace_now (hs);
  g_assert_nonnull (hs_handlespace_find (hs, H ("p"), id));  /* still there during the callback */
}

static void
reregister_at (SimKernel *k, gpointer ctx, gpointer data)
{
  HsRegistration r = reg_for (GPOINTER_TO_UINT (data), HS_POLICY_RR);
  r.reg_life_ms = 1000;
  g_assert_cmpint (hs_handlespace_register (ctx, H ("p"), &r, 0, NULL, NULL), ==, HS_OK);
}

/* Lifetime expiry runs on kernel timers; re-registration extends it lazily, one event per life. */
static void
test_expiry_kernel (void)
{
  g_autoptr (SimKernel) k = sim_kernel_new ();
  g_autoptr (HsHandlespace) hs = hs_handlespace_new (k);
  ExpiryLog log = { g_array_new (FALSE, FALSE, sizeof (guint32)), -1 };
  hs_handlespace_set_expiry_func (hs, log_expiry, &log);
  HsRegistration r = reg_for (1, HS_POLICY_RR);
  r.reg_life_ms = 1000;
  g_assert_cmpint (hs_handlespace_register (hs, H ("p"), &r, 0, NULL, NULL), ==, HS_OK);
  r = reg_for (2, HS_POLICY_RR);
  r.reg_life_ms = -1;
  g_assert_cmpint (hs_handlespace_register (hs, H ("p"), &r, 0, NULL, NULL), ==, HS_OK);
  g_assert_cmpuint (sim_kernel_pending (k), ==, 1);
  /* PE 1 re-registers at 0.5 s: its life now ends at 1.5 s; no new kernel event. */
  sim_kernel_schedule_at (k, 500 * SIM_MS, reregister_at, hs, GUINT_TO_POINTER (1));
  sim_kernel_run (k, 999 * SIM_MS);
  g_assert_cmpuint (sim_kernel_pending (k), ==, 1);
  g_assert_cmpint (hs_pe_get_expiry (hs_handlespace_find (hs, H ("p"), 1)), ==, 1500 * SIM_MS);
  g_assert_cmpint (hs_pe_get_last_update (hs_handlespace_find (hs, H ("p"), 1)), ==, 500 * SIM_MS);
  g_assert_true (hs_handlespace_sanity (hs));
  sim_kernel_run (k, 1499 * SIM_MS);
  g_assert_cmpuint (log.expired->len, ==, 0);
  g_assert_nonnull (hs_handlespace_find (hs, H ("p"), 1));
  sim_kernel_run (k, SIM_TIME_MAX);
  g_assert_cmpuint (log.expired->len, ==, 1);
  g_assert_cmpuint (g_array_index (log.expired, guint32, 0), ==, 1);
  g_assert_cmpint (log.at, ==, 1500 * SIM_MS);
  /* 1 re-registration + the early timer + the real expiry. */
  g_assert_cmpuint (sim_kernel_events_executed (k), ==, 3);
  g_assert_null (hs_handlespace_find (hs, H ("p"), 1));
  g_assert_nonnull (hs_handlespace_find (hs, H ("p"), 2));  /* infinite life */
  g_assert_true (hs_handlespace_sanity (hs));
  g_array_unref (log.expired);
}

/* A re-registration with a shorter life moves the timer earlier; deregistration cancels it. */
static void
test_expiry_shortened_and_cancelled (void)
{
  g_autoptr (SimKernel) k = sim_kernel_new ();
  g_autoptr (HsHandlespace) hs = hs_handlespace_new (k);
  ExpiryLog log = { g_array_new (FALSE, FALSE, sizeof (guint32)), -1 };
  hs_handlespace_set_expiry_func (hs, log_expiry, &log);
  HsRegistration r = reg_for (1, HS_POLICY_RR);
  r.reg_life_ms = 60000;
  g_assert_cmpint (hs_handlespace_register (hs, H ("p"), &r, 0, NULL, NULL), ==, HS_OK);
  r.reg_life_ms = 2000;
  g_assert_cmpint (hs_handlespace_register (hs, H ("p"), &r, 0, NULL, NULL), ==, HS_OK);
  g_assert_cmpuint (sim_kernel_pending (k), ==, 1);
  r = reg_for (2, HS_POLICY_RR);
  r.reg_life_ms = 1000;
  g_assert_cmpint (hs_handlespace_register (hs, H ("p"), &r, 0, NULL, NULL), ==, HS_OK);
  g_assert_true (hs_handlespace_deregister (hs, H ("p"), 2));
  g_assert_cmpuint (sim_kernel_pending (k), ==, 1);
  sim_kernel_run (k, SIM_TIME_MAX);
  g_assert_cmpuint (log.expired->len, ==, 1);
  g_assert_cmpint (log.at, ==, 2 * SIM_S);
  g_assert_cmpuint (hs_handlespace_pool_count (hs), ==, 0);
  g_array_unref (log.expired);
}

/* Without a kernel nothing expires and the clock reads 0. */
static void
test_expiry_without_kernel (void)
{
  g_autoptr (HsHandlespace) hs = hs_handlespace_new (NULL);
  HsRegistration r = reg_for (1, HS_POLICY_RR);
  r.reg_life_ms = 1;
  g_assert_cmpint (hs_handlespace_register (hs, H ("p"), &r, 0, NULL, NULL), ==, HS_OK);
  g_assert_cmpint (hs_handlespace_now (hs), ==, 0);
  g_assert_cmpint (hs_pe_get_expiry (hs_handlespace_find (hs, H ("p"), 1)), ==, SIM_MS);
  g_assert_true (hs_handlespace_sanity (hs));
}

/* Export in chunks of 128: pools in handle order, PEs in joining order, M flag on all but the last. */
static void
test_cursor_chunks (void)
{
  g_autoptr (HsHandlespace) hs = hs_handlespace_new (NULL);
  const char *pools[] = { "zz", "a", "ab" };  /* order: "a" < "ab" < "zz" */
  for (guint32 id = 0; id < 300; id++)
    {
      HsRegistration r = reg_for (1000 - id, HS_POLICY_RR);
      g_assert_cmpint (hs_handlespace_register (hs, (const guint8 *) pools[id % 3], strlen (pools[id % 3]), &r, 0,
                                                NULL, NULL), ==, HS_OK);
    }
  g_autoptr (HsCursor) c = hs_cursor_new_all (hs);
  HsPoolElement *out[128];
  guint sizes[4], n = 0, total = 0;
  gboolean more[4];
  guint32 prev_pool_rank = 0, prev_id = G_MAXUINT32;
  guint k;
  while ((k = hs_cursor_next (c, out, 128)) > 0)
    {
      g_assert_cmpuint (n, <, 4);
      sizes[n] = k;
      more[n++] = !hs_cursor_done (c);
      for (guint i = 0; i < k; i++)
        {
          gsize len;
          const guint8 *h = hs_pool_get_handle (hs_pe_get_pool (out[i]), &len);
          guint32 rank = len == 1 ? 1 : h[0] == 'a' ? 2 : 3;
          g_assert_cmpuint (rank, >=, prev_pool_rank);
          if (rank == prev_pool_rank)
            g_assert_cmpuint (hs_pe_get_id (out[i]), <, prev_id);  /* joined in decreasing id order */
          prev_pool_rank = rank;
          prev_id = hs_pe_get_id (out[i]);
        }
      total += k;
    }
  g_assert_cmpuint (n, ==, 3);
  g_assert_cmpuint (sizes[0], ==, 128);
  g_assert_cmpuint (sizes[1], ==, 128);
  g_assert_cmpuint (sizes[2], ==, 44);
  g_assert_true (more[0] && more[1] && !more[2]);
  g_assert_cmpuint (total, ==, 300);
}

static gint
cmp_u32 (gconstpointer a, gconstpointer b)
{
  guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;
  return x < y ? -1 : x > y;
}

/*
 * A cursor survives changes between chunks: every PE present throughout is
 * delivered exactly once, removed PEs are not delivered after their removal,
 * even when the cursor stood on them or their pool disappeared.
 */
static void
test_cursor_survives_changes (void)
{
  g_autoptr (HsHandlespace) hs = hs_handlespace_new (NULL);
  const char *pools[] = { "a", "b", "c", "d" };
  for (guint32 id = 0; id < 40; id++)
    {
      HsRegistration r = reg_for (id, HS_POLICY_LU);
      g_assert_cmpint (hs_handlespace_register (hs, (const guint8 *) pools[id / 10], 1, &r, 0, NULL, NULL), ==, HS_OK);
    }
  g_autoptr (HsCursor) c = hs_cursor_new_all (hs);
  g_autoptr (HsCursor) oc = hs_cursor_new_owner (hs, 100);
  g_autoptr (GArray) got = g_array_new (FALSE, FALSE, sizeof (guint32));
  HsPoolElement *out[8];
  guint k = hs_cursor_next (c, out, 5);  /* a0..a4 delivered; the cursor stands on a5 */
  for (guint i = 0; i < k; i++)
    g_array_append_val (got, ((guint32) { hs_pe_get_id (out[i]) }));
  g_assert_true (hs_handlespace_deregister (hs, H ("a"), 5));  /* the PE under the cursor */
  g_assert_true (hs_handlespace_deregister (hs, H ("a"), 1));  /* already delivered */
  for (guint32 id = 10; id < 20; id++)                      /* pool "b" disappears entirely */
    g_assert_true (hs_handlespace_deregister (hs, H ("b"), id));
  HsRegistration r = reg_for (99, HS_POLICY_LU);             /* joins "d" behind the cursor's position */
  g_assert_cmpint (hs_handlespace_register (hs, H ("d"), &r, 0, NULL, NULL), ==, HS_OK);
  k = hs_cursor_next (c, out, 5);                            /* a6..a9 and c20 */
  for (guint i = 0; i < k; i++)
    g_array_append_val (got, ((guint32) { hs_pe_get_id (out[i]) }));
  g_assert_true (hs_handlespace_deregister (hs, H ("c"), 21));  /* the next one again */
  g_assert_true (hs_handlespace_sanity (hs));
  while ((k = hs_cursor_next (c, out, 8)) > 0)
    for (guint i = 0; i < k; i++)
      g_array_append_val (got, ((guint32) { hs_pe_get_id (out[i]) }));
  g_assert_true (hs_cursor_done (c));
  g_array_sort (got, cmp_u32);
  /* 0..9 without 5, then 20..39 without 21, then 99: 1 was delivered before its removal. */
  g_assert_cmpuint (got->len, ==, 9 + 19 + 1);
  guint j = 0;
  for (guint32 id = 0; id < 40; id++)
    if (id != 5 && id != 21 && !(id >= 10 && id < 20))
      g_assert_cmpuint (g_array_index (got, guint32, j++), ==, id);
  g_assert_cmpuint (g_array_index (got, guint32, j), ==, 99);

  /* The owner cursor saw the same changes: what it delivers now is exactly what is left. */
  guint owned = 0;
  while ((k = hs_cursor_next (oc, out, 8)) > 0)
    owned += k;
  g_assert_cmpuint (owned, ==, hs_handlespace_owner_count (hs, 100));
}

/* An owner cursor delivers only that owner's PEs, across pools, once each. */
static void
test_cursor_owner (void)
{
  g_autoptr (HsHandlespace) hs = hs_handlespace_new (NULL);
  for (guint32 id = 0; id < 30; id++)
    {
      HsRegistration r = reg_for (id, HS_POLICY_RR);
      r.home_registrar = id % 3;
      g_assert_cmpint (hs_handlespace_register (hs, id % 2 ? (const guint8 *) "x" : (const guint8 *) "y", 1, &r, 0,
                                                NULL, NULL), ==, HS_OK);
    }
  g_autoptr (HsCursor) c = hs_cursor_new_owner (hs, 1);
  HsPoolElement *out[4];
  guint k, n = 0;
  while ((k = hs_cursor_next (c, out, 4)) > 0)
    for (guint i = 0; i < k; i++, n++)
      {
        g_assert_cmpuint (hs_pe_get_home_registrar (out[i]), ==, 1);
        g_assert_cmpuint (hs_pe_get_id (out[i]), ==, 1 + 3 * n);
      }
  g_assert_cmpuint (n, ==, 10);
  g_autoptr (HsCursor) none = hs_cursor_new_owner (hs, 42);
  g_assert_true (hs_cursor_done (none));
  g_assert_cmpuint (hs_cursor_next (none, out, 4), ==, 0);
}

/* ---- the random operation sequence ---- */

#define RANDOM_OPS 100000
#define RANDOM_POOLS 9
#define RANDOM_IDS 40

typedef struct {
  HsHandlespace *hs;
  GHashTable    *truth;      /* "pool/id" -> owner+1 */
  GHashTable    *delivered;  /* "pool/id" delivered by the current export cursor */
  guint          expired;
} Shadow;

/* A PE is gone: if one with the same key comes back, it is a new PE the export may deliver again. */
static gboolean
shadow_forget (Shadow *sh, const char *key)
{
  g_hash_table_remove (sh->delivered, key);
  return g_hash_table_remove (sh->truth, key);
}

static const guint32 random_policies[RANDOM_POOLS] = {
  HS_POLICY_RR, HS_POLICY_WRR, HS_POLICY_RAND, HS_POLICY_WRAND, HS_POLICY_PRIO,
  HS_POLICY_LU, HS_POLICY_LUD, HS_POLICY_PLU, HS_POLICY_RLU,
};

static char *
truth_key (guint pool, guint32 id)
{
  return g_strdup_printf ("%u/%u", pool, id);
}

static guint
pool_index (const HsPoolElement *pe)
{
  gsize len;
  const guint8 *h = hs_pool_get_handle (hs_pe_get_pool (pe), &len);
  return h[len - 1] - '0';
}

static void
shadow_expired (HsHandlespace *hs, HsPoolElement *pe, gpointer user_data)
{
  Shadow *sh = user_data;
  g_autofree char *key = truth_key (pool_index (pe), hs_pe_get_id (pe));
  g_assert_true (shadow_forget (sh, key));
  sh->expired++;
}

static void
random_policy_values (SimRng *rng, HsPolicy *p)
{
  /* Few distinct values, so that ties (and their round robin) are common. */
  p->weight = (guint32) sim_rng_below (rng, 5);
  p->priority = (guint32) sim_rng_below (rng, 4);
  p->load = (guint32) sim_rng_below (rng, 4) * 0x40000000u;
  p->load_degradation = (guint32) sim_rng_below (rng, 3) * 0x01000000u;
}

/*
 * 10^5 seeded random operations of every kind, with the invariant checker
 * after each one and a shadow set of which PEs must exist.
 */
static void
test_random_operations (void)
{
  g_autoptr (SimKernel) k = sim_kernel_new ();
  g_autoptr (HsHandlespace) hs = hs_handlespace_new (k);
  Shadow sh = { hs, g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL),
                g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL), 0 };
  hs_handlespace_set_expiry_func (hs, shadow_expired, &sh);
  SimRng rng, sel_rng;
  sim_rng_init (&rng, 2024, "test/handlespace/ops");
  sim_rng_init (&sel_rng, 2024, "test/handlespace/select");
  HsCursor *cursor = NULL;
  guint counts[10] = { 0 };
  SimTime now = 0;
  guint64 population = 0;

  for (guint op = 0; op < RANDOM_OPS; op++)
    {
      guint pool = (guint) sim_rng_below (&rng, RANDOM_POOLS);
      char handle[8];
      g_snprintf (handle, sizeof handle, "pool%u", pool);
      gsize hlen = strlen (handle);
      guint32 id = (guint32) sim_rng_below (&rng, RANDOM_IDS) * 0x9e3779b1u;
      g_autofree char *key = truth_key (pool, id);
      guint what = (guint) sim_rng_below (&rng, 100);
      if (what < 40)
        {
          /* (Re-)registration, sometimes at another registrar, sometimes inconsistent. */
          HsRegistration r = reg_for (id, random_policies[pool]);
          random_policy_values (&rng, &r.policy);
          r.home_registrar = (guint32) sim_rng_below (&rng, 3);
          r.reg_life_ms = sim_rng_below (&rng, 4) == 0 ? -1 : (gint32) (1 + sim_rng_below (&rng, 60000));
          r.user.n_addrs = 1 + (guint) sim_rng_below (&rng, 4);
          for (guint i = 1; i < r.user.n_addrs; i++)
            r.user.addrs[i] = r.user.addrs[0];
          guint bad = (guint) sim_rng_below (&rng, 10);
          if (bad == 0)
            r.user.use = HS_USE_DATA_CONTROL;
          else if (bad == 1)
            r.policy.type = random_policies[(pool + 1) % RANDOM_POOLS];
          /* The first PE of a pool sets its policy and use; later ones must match (RFC 5352 §3.1). */
          HsResult want = HS_OK;
          HsPool *p = hs_handlespace_find_pool (hs, (const guint8 *) handle, hlen);
          if (p != NULL && r.policy.type != hs_pool_get_policy_type (p))
            want = HS_ERR_INCONSISTENT_POLICY;
          else if (p != NULL && r.user.use != hs_pool_get_transport_use (p))
            want = HS_ERR_INCONSISTENT_DATA_CONTROL;
          gboolean created;
          HsResult res = hs_handlespace_register (hs, (const guint8 *) handle, hlen, &r, 0, NULL, &created);
          g_assert_cmpint (res, ==, want);
          if (res == HS_OK)
            {
              g_assert_cmpint (created, ==, !g_hash_table_contains (sh.truth, key));
              g_hash_table_insert (sh.truth, g_steal_pointer (&key), GUINT_TO_POINTER (r.home_registrar + 1));
            }
          counts[0]++;
        }
      else if (what < 55)
        {
          gboolean had = shadow_forget (&sh, key);
          g_assert_cmpint (hs_handlespace_deregister (hs, (const guint8 *) handle, hlen, id), ==, had);
          counts[1]++;
        }
      else if (what < 80)
        {
          /* Handle resolution: distinct PEs of that pool, never more than asked or present. */
          guint n = 1 + (guint) sim_rng_below (&rng, 6);
          hs_handlespace_set_max_increment (hs, (guint) sim_rng_below (&rng, 4));
          HsPoolElement *out[6];
          HsResult res;
          guint got = hs_handlespace_select (hs, (const guint8 *) handle, hlen, &sel_rng, out, n, &res);
          HsPool *p = hs_handlespace_find_pool (hs, (const guint8 *) handle, hlen);
          g_assert_cmpint (res, ==, p != NULL ? HS_OK : HS_ERR_UNKNOWN_POOL_HANDLE);
          g_assert_cmpuint (got, <=, n);
          if (p != NULL)
            {
              guint32 pt = hs_pool_get_policy_type (p);
              if (pt != HS_POLICY_WRR && pt != HS_POLICY_WRAND && pt != HS_POLICY_RLU)
                g_assert_cmpuint (got, ==, MIN (n, hs_pool_get_count (p)));
            }
          for (guint i = 0; i < got; i++)
            {
              g_assert_true (hs_pe_get_pool (out[i]) == p);
              for (guint j = 0; j < i; j++)
                g_assert_true (out[i] != out[j]);
            }
          counts[2]++;
        }
      else if (what < 85)
        {
          HsPoolElement *pe = hs_handlespace_find (hs, (const guint8 *) handle, hlen, id);
          g_assert_cmpint (pe != NULL, ==, g_hash_table_contains (sh.truth, key));
          if (pe != NULL)
            {
              guint before = hs_pe_get_bad_reports (pe);
              g_assert_cmpuint (hs_pe_report_unreachable (pe), ==, before + 1);
            }
          counts[3]++;
        }
      else if (what < 87)
        {
          guint32 from = (guint32) sim_rng_below (&rng, 3), to = (guint32) sim_rng_below (&rng, 3);
          guint had = hs_handlespace_owner_count (hs, from);
          g_assert_cmpuint (hs_handlespace_take_over (hs, from, to), ==, from == to ? 0 : had);
          GHashTableIter it;
          gpointer v;
          g_hash_table_iter_init (&it, sh.truth);
          while (g_hash_table_iter_next (&it, NULL, &v))
            if (from != to && GPOINTER_TO_UINT (v) == from + 1)
              g_hash_table_iter_replace (&it, GUINT_TO_POINTER (to + 1));
          counts[4]++;
        }
      else if (what < 90)
        {
          /* Audit: mark an owner, re-announce one of its PEs, purge the rest. Mostly of
           * registrars 3..29 that own nothing: a real audit empties a third of the handlespace. */
          guint32 owner = (guint32) sim_rng_below (&rng, 30);
          guint marked = hs_handlespace_mark_owner (hs, owner);
          g_assert_cmpuint (marked, ==, hs_handlespace_owner_count (hs, owner));
          HsPoolElement *keep = hs_handlespace_find (hs, (const guint8 *) handle, hlen, id);
          gboolean kept = keep != NULL && hs_pe_get_home_registrar (keep) == owner;
          if (kept)
            {
              HsPool *p = hs_pe_get_pool (keep);
              HsRegistration r = reg_for (id, hs_pool_get_policy_type (p));
              r.home_registrar = owner;
              r.user.use = hs_pool_get_transport_use (p);
              g_assert_cmpint (hs_handlespace_register (hs, (const guint8 *) handle, hlen, &r, 0, NULL, NULL), ==, HS_OK);
            }
          guint purged = hs_handlespace_purge_marked (hs, owner);
          g_assert_cmpuint (purged, ==, marked - (kept ? 1 : 0));
          g_autoptr (GPtrArray) gone = g_ptr_array_new_with_free_func (g_free);
          GHashTableIter it;
          gpointer kk, v;
          g_hash_table_iter_init (&it, sh.truth);
          while (g_hash_table_iter_next (&it, &kk, &v))
            if (GPOINTER_TO_UINT (v) == owner + 1 && !(kept && strcmp (kk, key) == 0))
              g_ptr_array_add (gone, g_strdup (kk));
          for (guint i = 0; i < gone->len; i++)
            shadow_forget (&sh, gone->pdata[i]);
          counts[5]++;
        }
      else if (what < 95)
        {
          /* Export in small chunks, interleaved with everything else. */
          if (cursor == NULL)
            {
              cursor = hs_cursor_new_all (hs);
              g_hash_table_remove_all (sh.delivered);
            }
          HsPoolElement *out[4];
          guint got = hs_cursor_next (cursor, out, 4);
          for (guint i = 0; i < got; i++)
            {
              char *dk = truth_key (pool_index (out[i]), hs_pe_get_id (out[i]));
              g_assert_true (g_hash_table_contains (sh.truth, dk));
              g_assert_true (g_hash_table_add (sh.delivered, dk));  /* never twice */
            }
          if (hs_cursor_done (cursor))
            g_clear_pointer (&cursor, hs_cursor_free);
          counts[6]++;
        }
      else
        {
          now += (SimTime) sim_rng_below (&rng, 400) * SIM_MS;
          sim_kernel_run (k, now);
          counts[7]++;
        }
      g_assert_cmpuint (hs_handlespace_pool_element_count (hs), ==, g_hash_table_size (sh.truth));
      population += hs_handlespace_pool_element_count (hs);
      if (!hs_handlespace_sanity (hs))
        g_error ("invariants broken after operation %u (kind %u)", op, what);
    }
  g_test_message ("ops: %u reg, %u dereg, %u select, %u report, %u takeover, %u audit, %u export, %u time; "
                  "%u expired; %.1f PEs on average",
                  counts[0], counts[1], counts[2], counts[3], counts[4], counts[5], counts[6], counts[7],
                  sh.expired, (double) population / RANDOM_OPS);
  g_assert_cmpuint (sh.expired, >, 100);
  g_assert_cmpuint (population / RANDOM_OPS, >, 100);
  g_clear_pointer (&cursor, hs_cursor_free);
  g_hash_table_unref (sh.delivered);
  g_hash_table_unref (sh.truth);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/models/handlespace/register/new", test_register_new);
  g_test_add_func ("/models/handlespace/register/update", test_register_update);
  g_test_add_func ("/models/handlespace/register/inconsistent", test_register_inconsistent);
  g_test_add_func ("/models/handlespace/register/invalid-values", test_register_invalid);
  g_test_add_func ("/models/handlespace/register/same-credential", test_register_same_credential);
  g_test_add_func ("/models/handlespace/register/limit", test_register_limit);
  g_test_add_func ("/models/handlespace/deregister", test_deregister);
  g_test_add_func ("/models/handlespace/checksum/hand-computed", test_checksum_hand_computed);
  g_test_add_func ("/models/handlespace/checksum/negative-zero", test_checksum_negative_zero);
  g_test_add_func ("/models/handlespace/owner/takeover", test_owner_takeover);
  g_test_add_func ("/models/handlespace/owner/mark-purge", test_owner_mark_purge);
  g_test_add_func ("/models/handlespace/expiry/kernel", test_expiry_kernel);
  g_test_add_func ("/models/handlespace/expiry/shortened-and-cancelled", test_expiry_shortened_and_cancelled);
  g_test_add_func ("/models/handlespace/expiry/without-kernel", test_expiry_without_kernel);
  g_test_add_func ("/models/handlespace/cursor/chunks", test_cursor_chunks);
  g_test_add_func ("/models/handlespace/cursor/survives-changes", test_cursor_survives_changes);
  g_test_add_func ("/models/handlespace/cursor/owner", test_cursor_owner);
  g_test_add_func ("/models/handlespace/random-operations", test_random_operations);
  return g_test_run ();
}
