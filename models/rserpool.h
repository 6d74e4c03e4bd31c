/*
 * models/rserpool.h - the RSerPool model (`model = rserpool`): a pool
 * network of registrars, pool elements with CalcApp servers and pool users
 * with CalcApp clients on the virtual network, assembled from the scenario
 * keys, as the published experiments set it up (reference/PAPERS.md §1-2).
 *
 * What it builds (models/rserpool.c has the rules in detail):
 *   - the LANs and links of the net.* keys;
 *   - registrar.count registrars, hosts "registrar<i>" on LAN i mod
 *     net.lans, ENRP server IDs i + 1, each with every other registrar as
 *     its static peer list (unless registrar.peers says otherwise);
 *   - pe.count PEs, hosts "pe<j>" on LAN j mod net.lans, each with a
 *     CalcApp server; pu.count PUs, hosts "pu<k>" on LAN k mod net.lans,
 *     each with a CalcApp client;
 *   - static registrar lists: when pe.registrars / pu.registrars are empty,
 *     every registrar, rotated so that entity j starts with registrar
 *     j mod registrar.count (the server hunt tries the first three at once
 *     and the first to answer wins: the PEs and PUs spread evenly); with
 *     rserpool.static-registrars = false none (server announces only);
 *   - the job interval: calcapp.target-load rho > 0 sets it to
 *     exponential(max(1, r) x mean size / (rho x C)), r = pu.count / pe.count
 *     (PAPERS.md §1); 0 keeps calcapp.job-interval.
 *
 * Observers. The model never sees results/ (DESIGN.md §1): whoever wants to
 * watch the run (the oracle, results/oracle.h, attached by the command)
 * registers an RserpoolObserver and reads the entities through the
 * read-only accessors below. The model forwards the registrars' handle
 * resolutions and the CalcApp clients' job events to it.
 *
 * Not here: attackers (they come as their own hosts and taps), several
 * pools, business cards.
 */
#pragma once

#include "models/calcapp.h"
#include "models/registrar.h"
#include "sim/model.h"

G_BEGIN_DECLS

typedef struct Rserpool Rserpool;

extern const SimModelType rserpool_model_type;

/* What an observer learns while the run goes on (each callback may be NULL). */
typedef struct {
  /* Registrar reg answered a handle resolution with pe_ids[0 .. n) (n = 0: unknown pool). */
  void (*resolution) (Rserpool *m, guint reg, const guint32 *pe_ids, guint n, gpointer user_data);
  /* The CalcApp client of PU pu reported a step of a job. */
  void (*calcapp_event) (Rserpool *m, guint pu, const CalcAppEvent *ev, gpointer user_data);
} RserpoolObserver;

/* One observer at a time; NULL removes it. */
void rserpool_set_observer (Rserpool *m, const RserpoolObserver *observer, gpointer user_data);

/* Read-only views of the run (valid until the model is freed). */
SimKernel     *rserpool_kernel (const Rserpool *m);
Net           *rserpool_net (const Rserpool *m);
SimTime        rserpool_warmup (const Rserpool *m);
const char    *rserpool_pool_handle (const Rserpool *m);
guint          rserpool_n_registrars (const Rserpool *m);
Registrar     *rserpool_registrar (const Rserpool *m, guint i);
guint          rserpool_n_pes (const Rserpool *m);
PoolElement   *rserpool_pe (const Rserpool *m, guint j);
CalcAppServer *rserpool_server (const Rserpool *m, guint j);
guint          rserpool_n_pus (const Rserpool *m);
PoolUser      *rserpool_pu (const Rserpool *m, guint k);
CalcAppClient *rserpool_client (const Rserpool *m, guint k);
/* The CalcApp configuration the run uses (with the job interval from calcapp.target-load). */
const CalcAppConfig *rserpool_calcapp_config (const Rserpool *m);
/* The run's security (secure.* keys; models/rsp-secure.h), NULL when no class uses TLS. */
RspSecurity   *rserpool_security (const Rserpool *m);

G_END_DECLS
