/*
 * evse_hal.h - the evse-rig HAL as a C ABI (ABI version 1).
 *
 * Build your charger's state machine for the host as a shared library that exports the
 * functions below, name it in the profile (firmware_entry: "c:path/to/libyourfw.so") and the
 * emulated bench runs it exactly like its own Python firmware: zapcharger/cabi.py adapts this
 * ABI to the Python HAL (zapcharger/hal.py), field for field. The reference is
 * docs/firmware-c-abi.md; the example is firmware-under-test/examples/c-evse/evse_example.c.
 *
 * Rules (the same as the Python HAL):
 *  - The firmware never reads a clock. Its time is the sum of the dt passed to evse_tick().
 *  - The host writes *inputs before every evse_tick() and reads *outputs after it. Both structs
 *    belong to the host and stay valid (same addresses) until evse_destroy().
 *  - evse_next_event_in() says when the firmware next needs to run: a double >= 0, INFINITY
 *    when nothing is pending until an input changes (never negative, never NaN). The host never
 *    lets more time pass in one evse_tick() than that, so deadlines land exactly. Return 0 right
 *    after changing an output the inputs depend on (CP generator, RCD test winding): the host
 *    then re-reads the inputs and calls evse_tick(0) at the same instant.
 *  - Byte streams leave through the evse_host callbacks (console UART, CAN, OCPP-J text
 *    frames) and arrive through the optional evse_*_receive/input functions. A callback may be
 *    called from inside evse_tick() and the input functions; the host does not call back into
 *    the firmware from a callback.
 *  - Options: the profile's firmware_options mapping, flattened to dotted keys, values as
 *    text (YAML scalars as written: "1030", "true", "0.3"). The firmware validates them and
 *    refuses a bad one by returning NULL from evse_create() with error->key set to the key and
 *    error->message saying what it expected; the rig reports an ERROR naming
 *    firmware_options.<key>. A failure that is no option's fault leaves error->key empty.
 *
 * Required exports: evse_abi_version, evse_create, evse_destroy, evse_tick, evse_next_event_in.
 * Optional exports (absent = that link is not fitted; the rig's tests that need it show it):
 * evse_console_input, evse_can_receive, evse_ocpp_receive, evse_ocpp_connected.
 */
#ifndef EVSE_HAL_H
#define EVSE_HAL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EVSE_HAL_ABI_VERSION 1u

/* CP generator (outputs.cp_mode). DISCONNECTED: the generator is switched off the line (high
 * impedance); the vehicle's resistors pull the line to PE, both sides read 0 V (state E). */
enum evse_cp_mode { EVSE_CP_STATIC = 0, EVSE_CP_PWM = 1, EVSE_CP_DISCONNECTED = 2 };

/* Status LED (outputs.led_colour / led_pattern); the order is zapcharger.hal.LED_COLOURS. */
enum evse_led_colour {
    EVSE_LED_OFF = 0, EVSE_LED_GREEN = 1, EVSE_LED_BLUE = 2,
    EVSE_LED_YELLOW = 3, EVSE_LED_RED = 4, EVSE_LED_PURPLE = 5
};
enum evse_led_pattern { EVSE_LED_SOLID = 0, EVSE_LED_FLASH = 1 };

/* inputs.pp_ohm when no plug is in the socket (PP open). Any negative value means open. */
#define EVSE_PP_OPEN (-1.0)
#define EVSE_RFID_UID_MAX 32

/* What the MCU reads. Units SI unless the name says otherwise; per-phase arrays are L1..L3. */
typedef struct evse_inputs {
    double cp_high_v;       /* CP ADC: positive plateau (the static level without PWM), V */
    double cp_low_v;        /* CP ADC: negative plateau while PWM runs (= static level), V */
    double pp_ohm;          /* PP to PE resistance in the socket, ohm; < 0: open */
    double supply_v[3];     /* r.m.s. phase-to-neutral at the supply terminals, V */
    double supply_hz;       /* supply frequency, Hz (0 without supply) */
    double meter_i_a[3];    /* meter IC, outlet side: true r.m.s. current, A */
    double meter_v_v[3];    /* meter IC: voltage, V */
    double meter_p_w[3];    /* meter IC: active power, W */
    double meter_e_wh[3];   /* meter IC energy accumulators since power-up, Wh (monotonic) */
    double rcd_dc_ma;       /* residual-current sensor: smooth DC component, mA */
    double rcd_ac_ma;       /* residual-current sensor: AC r.m.s. component, mA */
    double temperature_c;   /* internal temperature next to the contactor, degrees C */
    int32_t relay_feedback; /* auxiliary contact of the main contactor, 1 = closed */
    char rfid_uid[EVSE_RFID_UID_MAX + 1]; /* tag in front of the reader, "" = none */
} evse_inputs;

/* What the MCU drives. */
typedef struct evse_outputs {
    int32_t cp_mode;        /* enum evse_cp_mode */
    double cp_static_v;     /* level while cp_mode is EVSE_CP_STATIC, V */
    double cp_duty_pct;     /* PWM duty while cp_mode is EVSE_CP_PWM, % */
    double cp_freq_hz;      /* PWM frequency, Hz */
    double cp_rail_high_v;  /* generator rails (the PWM's levels), V */
    double cp_rail_low_v;
    double cp_rise_us;      /* 10-90 % rise and 90-10 % fall time of the generator, us */
    double cp_fall_us;
    int32_t contactor;      /* main contactor coil, 1 = closed */
    int32_t lock;           /* socket lock actuator, 1 = locked */
    int32_t rcd_test_winding; /* RCD self-test winding, 1 = on */
    int32_t led_colour;     /* enum evse_led_colour */
    int32_t led_pattern;    /* enum evse_led_pattern */
    int32_t phase_select;   /* phase selector: outlet L1..L3 = supply terminals rotated by
                               0, 1 or 2 places (a 1-phase vehicle draws from terminal
                               phase_select + 1); 0 for a station without one */
    int64_t meter_pulses;   /* meter test output (LED/S0): pulses since power-up; 0 = none.
                             * Appended last: a library built without it leaves it 0. */
} evse_outputs;

/* Byte streams out of the firmware; ctx is passed back unchanged. */
typedef struct evse_host {
    void *ctx;
    void (*console_tx)(void *ctx, const char *data, size_t len);
    void (*can_tx)(void *ctx, uint32_t id, const uint8_t *data, size_t len);
    void (*ocpp_tx)(void *ctx, const char *frame, size_t len);
} evse_host;

/* One firmware option: a dotted key and its value as text. */
typedef struct evse_option {
    const char *key;
    const char *value;
} evse_option;

/* Why evse_create() refused: key = the option at fault ("" if none), message = what was
 * expected, both NUL-terminated (truncate to fit). */
typedef struct evse_error {
    char key[64];
    char message[256];
} evse_error;

typedef struct evse_fw evse_fw; /* the firmware's own instance, opaque to the host */

/* EVSE_HAL_ABI_VERSION the library was built against; the host refuses another. */
uint32_t evse_abi_version(void);

/* A new firmware instance, unpowered (time 0), with its options validated. The host may
 * create several instances (a power cycle with new options is a new instance), so keep all
 * state in the instance. Returns NULL and fills *error on failure. */
evse_fw *evse_create(const evse_host *host, const evse_inputs *inputs, evse_outputs *outputs,
                     const evse_option *options, size_t n_options, evse_error *error);

void evse_destroy(evse_fw *fw);

/* Run for dt >= 0 seconds of firmware time (0: react to changed inputs now). */
void evse_tick(evse_fw *fw, double dt);

/* Seconds until the firmware next needs evse_tick(): >= 0, INFINITY if nothing is pending. */
double evse_next_event_in(const evse_fw *fw);

/* Optional: bytes from the console UART (partial lines possible). */
void evse_console_input(evse_fw *fw, const char *data, size_t len);
/* Optional: a CAN frame from the bus. */
void evse_can_receive(evse_fw *fw, uint32_t id, const uint8_t *data, size_t len);
/* Optional: one OCPP-J text frame from the central system; the websocket came up/went down. */
void evse_ocpp_receive(evse_fw *fw, const char *frame, size_t len);
void evse_ocpp_connected(evse_fw *fw, int connected);

#ifdef __cplusplus
}
#endif

#endif /* EVSE_HAL_H */
