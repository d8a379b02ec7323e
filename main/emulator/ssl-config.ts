import { ParamSyntaxError, type Params } from './command-line';
import type { HandlerTable } from './context';
import { ERROR, OK, ok, type Outcome } from './outcome';
import { SSL_CONTEXTS, type SslContext } from './state';

/**
 * AT+QSSLCFG for the SSL contexts MQTT uses (AT+QMTCFG="ssl",<idx>,1,<ctx>). A value omitted is a read. The
 * cipher suite is an unquoted hex number; a quoted one is refused (field notes). The application note's example
 * spells `"secllevel"`; the module's parameter is `"seclevel"`, and the example's spelling is taken as the same
 * setting so that the documented session runs as written.
 */

const CTX_MAX = SSL_CONTEXTS - 1;

type Setting = {
  read(ctx: SslContext): string;
  write(ctx: SslContext, p: Params): void;
};

function fileSetting(key: 'cacert' | 'clientcert' | 'clientkey'): Setting {
  return {
    read: (ctx) => `"${ctx[key] ?? ''}"`,
    write: (ctx, p) => {
      ctx[key] = p.str(2, 84, 1);
    },
  };
}

const SETTINGS: Readonly<Record<string, Setting>> = {
  cacert: fileSetting('cacert'),
  clientcert: fileSetting('clientcert'),
  clientkey: fileSetting('clientkey'),
  seclevel: {
    read: (ctx) => String(ctx.seclevel),
    write: (ctx, p) => {
      const v = p.int(2, 0, 2);
      ctx.seclevel = v === 0 ? 0 : v === 1 ? 1 : 2;
    },
  },
  sslversion: {
    read: (ctx) => String(ctx.sslversion),
    write: (ctx, p) => {
      ctx.sslversion = p.int(2, 0, 4);
    },
  },
  ciphersuite: {
    read: (ctx) => `0x${ctx.ciphersuite.toString(16).toUpperCase().padStart(4, '0')}`,
    write: (ctx, p) => {
      const raw = p.raw(2);
      if (!/^0x[0-9a-f]{1,4}$/i.test(raw)) throw new ParamSyntaxError('cipher suite must be 0xHHHH');
      ctx.ciphersuite = parseInt(raw.slice(2), 16);
    },
  },
  ignorelocaltime: {
    read: (ctx) => String(ctx.ignorelocaltime),
    write: (ctx, p) => {
      ctx.ignorelocaltime = p.int(2, 0, 1) === 1 ? 1 : 0;
    },
  },
  sni: {
    read: (ctx) => String(ctx.sni),
    write: (ctx, p) => {
      ctx.sni = p.int(2, 0, 1) === 1 ? 1 : 0;
    },
  },
};

const ALIASES: Readonly<Record<string, string>> = { secllevel: 'seclevel' };

export const sslHandlers: HandlerTable = {
  '+QSSLCFG': (c, p, state): Outcome => {
    if (c.form === 'test') {
      return ok([
        `+QSSLCFG: "sslversion",(0-${CTX_MAX}),(0-4)`,
        `+QSSLCFG: "ciphersuite",(0-${CTX_MAX}),(0X0035,0X002F,0X0005,0X0004,0X000A,0X003D,0XC02F,0XC030,0XFFFF)`,
        `+QSSLCFG: "cacert",(0-${CTX_MAX}),"<cacertpath>"`,
        `+QSSLCFG: "clientcert",(0-${CTX_MAX}),"<client_cert_path>"`,
        `+QSSLCFG: "clientkey",(0-${CTX_MAX}),"<client_key_path>"`,
        `+QSSLCFG: "seclevel",(0-${CTX_MAX}),(0-2)`,
        `+QSSLCFG: "ignorelocaltime",(0-${CTX_MAX}),(0,1)`,
        `+QSSLCFG: "sni",(0-${CTX_MAX}),(0,1)`,
      ]);
    }
    if (c.form !== 'write') return ERROR;
    const given = p.str(0, 32).toLowerCase();
    const name = ALIASES[given] ?? given;
    const setting = SETTINGS[name];
    if (!setting) return ERROR;
    const ctx = state.state.ssl[p.int(1, 0, CTX_MAX)];
    if (!ctx) return ERROR;
    if (p.length === 2) return ok([`+QSSLCFG: "${name}",${p.int(1, 0, CTX_MAX)},${setting.read(ctx)}`]);
    if (p.length !== 3) return ERROR;
    setting.write(ctx, p);
    return OK;
  },
};
