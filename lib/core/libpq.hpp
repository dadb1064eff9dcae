#pragma once
// libpq, loaded when a command talks to PostgreSQL (a shared desk, a postgres backup target or
// check). Linked, it pulls Kerberos, LDAP, GnuTLS and a dozen more shared libraries into the
// start of every command, SQLite ones included; so it is opened with dlopen on first use.
#include <libpq-fe.h>

namespace opsdesk::core {

#define OPSDESK_LIBPQ_FUNCTIONS(X)                                                                              \
  X(PQconnectdbParams) X(PQstatus) X(PQerrorMessage) X(PQfinish) X(PQsetNoticeProcessor) X(PQparameterStatus) \
  X(PQexec) X(PQexecParams) X(PQprepare) X(PQexecPrepared) X(PQresultStatus) X(PQresultErrorField) X(PQclear) \
  X(PQcmdTuples) X(PQntuples) X(PQnfields) X(PQfname) X(PQgetvalue) X(PQgetlength) X(PQgetisnull)

struct Libpq {
#define OPSDESK_LIBPQ_POINTER(name) decltype(&::name) name = nullptr;
  OPSDESK_LIBPQ_FUNCTIONS(OPSDESK_LIBPQ_POINTER)
#undef OPSDESK_LIBPQ_POINTER
};

// The loaded library; Error(unavailable) when it is not installed.
const Libpq& libpq();

}  // namespace opsdesk::core
