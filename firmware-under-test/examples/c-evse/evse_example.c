/*
 * evse_example.c - a small IEC 61851-1 Mode 3 charger state machine in C, behind the evse-rig
 * HAL (include/evse_hal.h). It is the proof that another team's firmware runs the plan: the
 * test suite compiles it with the system compiler and runs the CP, TM and PP groups on it.
 *
 * What it does: boot, pilot states A-E from the CP positive plateau (nominal 12/9/6/3/0 V
 * +/- 1.5 V), PWM in B/C after a delay, diode check on the negative plateau, contactor closes
 * in C (never in D: no ventilation), opens on B/A/E/D/faults, PWM stop with the vehicle still
 * in C opens after a delay, cable rating from PP (IEC 61851-1 Table B.2 bands), socket lock
 * around the contactor, installation current limit and a small service console (version,
 * serial, status, errors, limit, help) in the line protocol the rig's console driver speaks.
 * What it leaves out on purpose: RCD, soft start, meter, supply window, thermal, OCPP, CAN.
 *
 * Every behaviour that a defect switch changes is a firmware option (the profile's
 * firmware_options), compliant by default; see OPTIONS below and docs/firmware-c-abi.md.
 *
 * Build: cc -std=c11 -O2 -Wall -Wextra -shared -fPIC -I firmware-under-test/include \
 *           firmware-under-test/examples/c-evse/evse_example.c -o libevse_example.so
 */
#include "evse_hal.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EPS 1e-9
#define WINDOW_V 1.5
#define OFF_BELOW_V 90.0
#define MIN_CURRENT_A 6.0
#define LINE_MAX 128

enum fault { FAULT_NONE = 0, FAULT_DIODE = 3, FAULT_CP = 4, FAULT_PP = 5 };

typedef struct options {
    double boot_s;               /* power-up -> ready */
    double pwm_hz;               /* PWM frequency */
    double cp_high_v, cp_low_v;  /* generator rails */
    double pwm_start_s;          /* vehicle in B -> PWM on */
    double close_after_c_s;      /* C -> contactor closed (lock engages at once) */
    double open_delay_s;         /* C -> B or C -> A -> contactor open */
    double open_after_pwm_stop_s;/* PWM stopped by the EVSE, vehicle still in C -> open */
    double station_a;            /* station current limit */
    double pp_20a_rating_a;      /* what a 20 A cable coding is taken for */
    int diode_check;             /* check the negative plateau before closing */
    char serial[32];
} options;

struct evse_fw {
    evse_host host;
    const evse_inputs *in;
    evse_outputs *out;
    options opt;
    double now;
    int powered, ready;
    double boot_at, pwm_at, close_at, open_at; /* deadlines, INFINITY = none */
    double pwm_off_at;                         /* when the EVSE last stopped PWM */
    char state;                                /* A B C D E, X = invalid */
    int fault;
    double limit_a;                            /* installation limit, < 0 = none */
    int reread;                                /* a CP output changed: ask for tick(0) */
    char line[LINE_MAX];
    size_t line_len;
};

/* ---- options ----------------------------------------------------------------------------- */
typedef enum { OPT_NUM, OPT_BOOL, OPT_TEXT } opt_kind;
typedef struct option_def {
    const char *key;
    opt_kind kind;
    size_t offset;
    double min, max; /* numbers: allowed range, inclusive */
} option_def;

static const option_def OPTIONS[] = {
    {"boot_s", OPT_NUM, offsetof(options, boot_s), 0, 600},
    {"pwm_hz", OPT_NUM, offsetof(options, pwm_hz), 1, 100000},
    {"cp_high_v", OPT_NUM, offsetof(options, cp_high_v), 0, 15},
    {"cp_low_v", OPT_NUM, offsetof(options, cp_low_v), -15, 0},
    {"pwm_start_s", OPT_NUM, offsetof(options, pwm_start_s), 0, 60},
    {"close_after_c_s", OPT_NUM, offsetof(options, close_after_c_s), 0, 60},
    {"open_delay_s", OPT_NUM, offsetof(options, open_delay_s), 0, 60},
    {"open_after_pwm_stop_s", OPT_NUM, offsetof(options, open_after_pwm_stop_s), 0, 60},
    {"station_a", OPT_NUM, offsetof(options, station_a), 6, 80},
    {"pp_20a_rating_a", OPT_NUM, offsetof(options, pp_20a_rating_a), 6, 80},
    {"diode_check", OPT_BOOL, offsetof(options, diode_check), 0, 1},
    {"serial", OPT_TEXT, offsetof(options, serial), 1, 31},
};
#define N_OPTIONS (sizeof OPTIONS / sizeof OPTIONS[0])

static void defaults(options *o) {
    o->boot_s = 2.0;
    o->pwm_hz = 1000.0;
    o->cp_high_v = 12.0;
    o->cp_low_v = -12.0;
    o->pwm_start_s = 0.1;
    o->close_after_c_s = 0.5;
    o->open_delay_s = 0.0;
    o->open_after_pwm_stop_s = 3.0;
    o->station_a = 32.0;
    o->pp_20a_rating_a = 20.0;
    o->diode_check = 1;
    snprintf(o->serial, sizeof o->serial, "CEX000001");
}

static int refuse(evse_error *err, const char *key, const char *fmt, ...) {
    if (err) {
        va_list ap;
        snprintf(err->key, sizeof err->key, "%s", key);
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int set_option(options *o, const char *key, const char *value, evse_error *err) {
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const option_def *d = &OPTIONS[i];
        if (strcmp(d->key, key) != 0)
            continue;
        char *field = (char *)o + d->offset;
        if (d->kind == OPT_NUM) {
            char *end = NULL;
            double v = strtod(value, &end);
            if (end == value || *end != '\0' || !isfinite(v))
                return refuse(err, key, "a number from %g to %g (got '%s')", d->min, d->max, value);
            if (v < d->min || v > d->max)
                return refuse(err, key, "a number from %g to %g (got %g)", d->min, d->max, v);
            *(double *)field = v;
        } else if (d->kind == OPT_BOOL) {
            if (strcmp(value, "true") == 0)
                *(int *)field = 1;
            else if (strcmp(value, "false") == 0)
                *(int *)field = 0;
            else
                return refuse(err, key, "true or false (got '%s')", value);
        } else {
            size_t n = strlen(value);
            if (n < (size_t)d->min || n > (size_t)d->max)
                return refuse(err, key, "text of %g to %g characters (got %zu)", d->min, d->max, n);
            memcpy(field, value, n + 1);
        }
        return 0;
    }
    char known[512] = "";
    for (size_t i = 0; i < N_OPTIONS; i++) {
        strncat(known, OPTIONS[i].key, sizeof known - strlen(known) - 1);
        if (i + 1 < N_OPTIONS)
            strncat(known, ", ", sizeof known - strlen(known) - 1);
    }
    return refuse(err, key, "unknown option of evse_example (known: %s)", known);
}

/* ---- pilot, cable, current --------------------------------------------------------------- */
static char classify(double high_v) {
    static const struct { double v; char s; } nominal[] = {
        {12, 'A'}, {9, 'B'}, {6, 'C'}, {3, 'D'}, {0, 'E'}};
    for (size_t i = 0; i < 5; i++)
        if (fabs(high_v - nominal[i].v) <= WINDOW_V)
            return nominal[i].s;
    return 'X';
}

/* Cable rating from the PP resistor (IEC 61851-1 Table B.2 bands; a gap gives the lower
 * rating), 0 = invalid or no plug. */
static double cable_rating(const evse_fw *fw, double ohm) {
    if (ohm < 60.0 || ohm > 4500.0)
        return 0.0;
    if (ohm <= 140.0)
        return 63.0;
    if (ohm <= 308.0)
        return 32.0;
    if (ohm <= 936.0)
        return fw->opt.pp_20a_rating_a;
    return 13.0;
}

static double duty_for(double amps) {
    return amps <= 51.0 ? amps / 0.6 : amps / 2.5 + 64.0;
}

static double available_a(const evse_fw *fw) {
    double a = fw->opt.station_a;
    double cable = cable_rating(fw, fw->in->pp_ohm);
    if (cable < a)
        a = cable;
    if (fw->limit_a >= 0.0 && fw->limit_a < a)
        a = fw->limit_a;
    return a > 80.0 ? 80.0 : a;
}

/* ---- outputs ------------------------------------------------------------------------------ */
static void cp_static(evse_fw *fw, double level) {
    evse_outputs *o = fw->out;
    if (o->cp_mode != EVSE_CP_STATIC || o->cp_static_v != level)
        fw->reread = 1;
    o->cp_mode = EVSE_CP_STATIC;
    o->cp_static_v = level;
    o->cp_duty_pct = 100.0;
}

static void cp_disconnect(evse_fw *fw) {
    if (fw->out->cp_mode != EVSE_CP_DISCONNECTED)
        fw->reread = 1;
    fw->out->cp_mode = EVSE_CP_DISCONNECTED;
    fw->out->cp_static_v = 0.0;
    fw->out->cp_duty_pct = 100.0;
}

static void pwm_on(evse_fw *fw, double duty) {
    if (fw->out->cp_mode != EVSE_CP_PWM)
        fw->reread = 1;
    fw->out->cp_mode = EVSE_CP_PWM;
    fw->out->cp_duty_pct = duty;
}

static void pwm_off(evse_fw *fw) {
    if (fw->out->cp_mode == EVSE_CP_PWM)
        fw->pwm_off_at = fw->now;
    cp_static(fw, fw->opt.cp_high_v);
    fw->pwm_at = INFINITY;
}

static void led(evse_fw *fw, int colour, int pattern) {
    fw->out->led_colour = colour;
    fw->out->led_pattern = pattern;
}

static void say(evse_fw *fw, const char *fmt, ...) {
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf - 2, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof buf - 3)
        n = (int)(sizeof buf - 3);
    buf[n++] = '\r';
    buf[n++] = '\n';
    if (fw->host.console_tx)
        fw->host.console_tx(fw->host.ctx, buf, (size_t)n);
}

static void power_off(evse_fw *fw) {
    evse_outputs *o = fw->out;
    fw->powered = fw->ready = 0;
    fw->boot_at = fw->pwm_at = fw->close_at = fw->open_at = INFINITY;
    fw->fault = FAULT_NONE;
    fw->limit_a = -1.0; /* RAM is lost */
    fw->state = 'A';
    fw->line_len = 0;
    cp_disconnect(fw);
    o->contactor = o->lock = o->rcd_test_winding = 0;
    led(fw, EVSE_LED_OFF, EVSE_LED_SOLID);
}

/* ---- the state machine: one evaluation at the current instant ---------------------------- */
static void step(evse_fw *fw, int pwm_seen) {
    evse_outputs *o = fw->out;
    const evse_inputs *in = fw->in;
    char s = classify(in->cp_high_v);
    fw->state = s;
    int vehicle = s == 'B' || s == 'C' || s == 'D';
    double avail = available_a(fw);
    int pp_ok = cable_rating(fw, in->pp_ohm) > 0.0;

    if (s == 'A')
        fw->fault = FAULT_NONE; /* unplugged: latched faults clear */
    if (s == 'E' || s == 'X')
        fw->fault = FAULT_CP;
    if (o->cp_mode == EVSE_CP_PWM && pwm_seen && fw->opt.diode_check
        && fabs(in->cp_low_v - fw->opt.cp_low_v) > WINDOW_V)
        fw->fault = FAULT_DIODE; /* no diode in the vehicle: the negative plateau is gone */
    if (vehicle && !pp_ok && fw->fault == FAULT_NONE)
        fw->fault = FAULT_PP;
    if (fw->fault == FAULT_PP && pp_ok)
        fw->fault = FAULT_NONE;

    /* PWM */
    int want_pwm = vehicle && fw->fault == FAULT_NONE && avail >= MIN_CURRENT_A;
    if (want_pwm && o->cp_mode != EVSE_CP_PWM) {
        if (fw->pwm_at == INFINITY)
            fw->pwm_at = fw->now + fw->opt.pwm_start_s;
        if (fw->now >= fw->pwm_at - EPS) {
            fw->pwm_at = INFINITY;
            pwm_on(fw, duty_for(avail));
        }
    } else if (!want_pwm) {
        fw->pwm_at = INFINITY;
        if (o->cp_mode == EVSE_CP_PWM)
            pwm_off(fw);
    }
    if (o->cp_mode == EVSE_CP_PWM)
        o->cp_duty_pct = duty_for(avail); /* a new limit reaches the duty at once */

    /* contactor: closes in C with PWM (never in D: no ventilation) */
    int pwm = o->cp_mode == EVSE_CP_PWM;
    int want_close = pwm && s == 'C' && fw->fault == FAULT_NONE;
    if (want_close && !o->contactor) {
        o->lock = 1; /* lock first */
        if (fw->close_at == INFINITY)
            fw->close_at = fw->now + fw->opt.close_after_c_s;
        if (fw->now >= fw->close_at - EPS) {
            fw->close_at = INFINITY;
            o->contactor = 1;
        }
    } else if (!want_close) {
        fw->close_at = INFINITY;
    }
    if (o->contactor && !want_close) {
        double at;
        if (fw->fault != FAULT_NONE || s == 'E' || s == 'X' || s == 'D' || !pp_ok)
            at = fw->now; /* fault, no ventilation, cable lost: open now */
        else if (s == 'A' || s == 'B')
            at = fw->now + fw->opt.open_delay_s; /* the vehicle stopped or left */
        else
            at = fw->pwm_off_at + fw->opt.open_after_pwm_stop_s; /* EVSE stopped PWM, EV in C */
        if (at < fw->open_at)
            fw->open_at = at;
        if (fw->now >= fw->open_at - EPS) {
            fw->open_at = INFINITY;
            o->contactor = 0;
        }
    } else {
        fw->open_at = INFINITY;
    }
    if (!o->contactor && fw->close_at == INFINITY && (s == 'A' || fw->fault != FAULT_NONE))
        o->lock = 0; /* released once open and the session is over */

    if (fw->fault != FAULT_NONE)
        led(fw, EVSE_LED_RED, EVSE_LED_SOLID);
    else if (o->contactor)
        led(fw, EVSE_LED_BLUE, EVSE_LED_FLASH);
    else if (vehicle)
        led(fw, EVSE_LED_BLUE, EVSE_LED_SOLID);
    else
        led(fw, EVSE_LED_GREEN, EVSE_LED_SOLID);
}

static int signature_equal(const evse_outputs *a, const evse_outputs *b) {
    return memcmp(a, b, sizeof *a) == 0;
}

/* ---- the ABI ------------------------------------------------------------------------------ */
uint32_t evse_abi_version(void) { return EVSE_HAL_ABI_VERSION; }

evse_fw *evse_create(const evse_host *host, const evse_inputs *inputs, evse_outputs *outputs,
                     const evse_option *opts, size_t n_opts, evse_error *error) {
    options o;
    defaults(&o);
    for (size_t i = 0; i < n_opts; i++)
        if (set_option(&o, opts[i].key, opts[i].value, error) != 0)
            return NULL;
    evse_fw *fw = calloc(1, sizeof *fw);
    if (!fw) {
        refuse(error, "", "out of memory");
        return NULL;
    }
    fw->host = *host;
    fw->in = inputs;
    fw->out = outputs;
    fw->opt = o;
    memset(outputs, 0, sizeof *outputs);
    outputs->cp_freq_hz = o.pwm_hz;
    outputs->cp_rail_high_v = o.cp_high_v;
    outputs->cp_rail_low_v = o.cp_low_v;
    outputs->cp_rise_us = outputs->cp_fall_us = 2.0;
    power_off(fw);
    fw->reread = 0;
    return fw;
}

void evse_destroy(evse_fw *fw) { free(fw); }

void evse_tick(evse_fw *fw, double dt) {
    fw->now += dt > 0.0 ? dt : 0.0;
    /* the inputs were computed from the outputs as they are now, before this tick changes them */
    int pwm_seen = fw->out->cp_mode == EVSE_CP_PWM;
    fw->reread = 0;
    if (fw->in->supply_v[0] < OFF_BELOW_V) {
        if (fw->powered || fw->out->cp_mode != EVSE_CP_DISCONNECTED)
            power_off(fw);
        fw->reread = 0;
        return;
    }
    if (!fw->powered) {
        fw->powered = 1;
        fw->boot_at = fw->now + fw->opt.boot_s;
        led(fw, EVSE_LED_YELLOW, EVSE_LED_FLASH);
        say(fw, "# boot evse_example 1.0.0");
    }
    if (!fw->ready) {
        if (fw->now < fw->boot_at - EPS)
            return;
        fw->ready = 1;
        fw->boot_at = INFINITY;
        cp_static(fw, fw->opt.cp_high_v);
        led(fw, EVSE_LED_GREEN, EVSE_LED_SOLID);
        say(fw, "# ready");
        return; /* the host re-reads the CP at this instant (reread) */
    }
    for (int i = 0; i < 8; i++) { /* cascades at one instant, until nothing changes */
        evse_outputs before = *fw->out;
        double deadlines[3] = {fw->pwm_at, fw->close_at, fw->open_at};
        step(fw, pwm_seen && fw->out->cp_mode == EVSE_CP_PWM);
        if (signature_equal(&before, fw->out) && deadlines[0] == fw->pwm_at
            && deadlines[1] == fw->close_at && deadlines[2] == fw->open_at)
            break;
    }
}

double evse_next_event_in(const evse_fw *fw) {
    if (fw->reread)
        return 0.0;
    double next = INFINITY;
    double all[4] = {fw->boot_at, fw->pwm_at, fw->close_at, fw->open_at};
    for (int i = 0; i < 4; i++)
        if (all[i] < next)
            next = all[i];
    if (next == INFINITY)
        return INFINITY;
    return next > fw->now ? next - fw->now : 0.0;
}

/* ---- the service console ------------------------------------------------------------------ */
static const char *fault_name(int fault) {
    switch (fault) {
    case FAULT_DIODE: return "DiodeFault";
    case FAULT_CP: return "CpFault";
    case FAULT_PP: return "PpInvalid";
    default: return "none";
    }
}

static void command(evse_fw *fw, char *line) {
    char *cmd = strtok(line, " \t");
    char *arg = strtok(NULL, " \t");
    if (!cmd)
        return;
    for (char *p = cmd; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    const evse_outputs *o = fw->out;
    if (strcmp(cmd, "version") == 0) {
        say(fw, "C-Example EVSE 1.0.0");
    } else if (strcmp(cmd, "serial") == 0) {
        say(fw, "%s", fw->opt.serial);
    } else if (strcmp(cmd, "status") == 0) {
        char pwm[16] = "off";
        if (o->cp_mode == EVSE_CP_PWM)
            snprintf(pwm, sizeof pwm, "%.1f", o->cp_duty_pct);
        say(fw, "state=%c%s pwm=%s contactor=%d lock=%d error=%s",
            fw->ready ? fw->state : 'F', fw->ready ? (o->cp_mode == EVSE_CP_PWM ? "2" : "1") : "",
            pwm, o->contactor, o->lock, fault_name(fw->fault));
    } else if (strcmp(cmd, "errors") == 0) {
        if (fw->fault == FAULT_NONE)
            say(fw, "none");
        else
            say(fw, "E%d %s", fw->fault, fault_name(fw->fault));
    } else if (strcmp(cmd, "limit") == 0) {
        if (arg && strcmp(arg, "none") == 0) {
            fw->limit_a = -1.0;
        } else if (arg) {
            char *end = NULL;
            double a = strtod(arg, &end);
            if (end == arg || *end || a < 0.0 || a > 1000.0) {
                say(fw, "ERR 2 bad argument '%s'", arg);
                return;
            }
            fw->limit_a = a;
        }
        if (fw->limit_a < 0.0)
            say(fw, "limit=none");
        else
            say(fw, "limit=%.1f", fw->limit_a);
    } else if (strcmp(cmd, "help") == 0) {
        say(fw, "version serial status errors limit [A|none] help");
    } else {
        say(fw, "ERR 1 unknown command '%s'", cmd);
        return;
    }
    say(fw, "OK");
}

void evse_console_input(evse_fw *fw, const char *data, size_t len) {
    if (!fw->powered)
        return; /* no electronics, no UART */
    for (size_t i = 0; i < len; i++) {
        char c = data[i];
        if (c == '\r')
            continue;
        if (c != '\n') {
            if (fw->line_len < LINE_MAX - 1)
                fw->line[fw->line_len++] = c;
            continue;
        }
        fw->line[fw->line_len] = '\0';
        fw->line_len = 0;
        command(fw, fw->line);
    }
}
