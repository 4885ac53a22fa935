/* interp: an interpreter running a script. A tiny language (integer variables
 * a-z, while/if/else, print) is compiled by a recursive-descent parser to stack
 * bytecode and run by a switch-dispatched VM: indirect jumps, loads/stores to a
 * small stack, unpredictable branches (what lua/python/sh look like to a CPU).
 * usage: interp [N]   the script's size parameter n (default 40000). */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *script =
  "c = 0; i = 2;\n"
  "while (i < n) {\n"
  "  j = 2; p = 1;\n"
  "  while (j * j <= i) { if (i % j == 0) { p = 0; j = i; } j = j + 1; }\n"
  "  c = c + p; i = i + 1;\n"
  "}\n"
  "print c;\n"
  "s = 0; k = 1; m = n / 4;\n"
  "while (k < m) {\n"
  "  x = k;\n"
  "  while (x != 1) { if (x % 2 == 0) { x = x / 2; } else { x = 3 * x + 1; } s = s + 1; }\n"
  "  k = k + 1;\n"
  "}\n"
  "print s;\n"
  "h = 7; t = 0;\n"
  "while (t < n * 4) { h = (h * 31 + t) % 1000000007; if (h > 500000000) { h = h - 12345; } t = t + 1; }\n"
  "print h;\n";

enum { PUSH, LOAD, STORE, ADD, SUB, MUL, DIV, MOD, LT, GT, LE, GE, EQ, NE, NEG, JMP, JZ, PRINT, HALT };

static int64_t code[4096];
static int ncode;
static const char *src;
static char tok[32];
static int64_t tokval;

static void fail(const char *m) { fprintf(stderr, "interp: %s near '%s'\n", m, tok); exit(2); }
static void emit(int64_t v) { if (ncode >= 4096) fail("code too big"); code[ncode++] = v; }

static void lex(void) {
  while (isspace((unsigned char)*src)) src++;
  if (!*src) { tok[0] = 0; return; }
  if (isdigit((unsigned char)*src)) { tokval = 0; while (isdigit((unsigned char)*src)) tokval = tokval * 10 + (*src++ - '0'); strcpy(tok, "#"); return; }
  if (isalpha((unsigned char)*src)) { int n = 0; while (isalpha((unsigned char)*src) && n < 31) tok[n++] = *src++; tok[n] = 0; return; }
  if (strchr("<>=!", *src) && src[1] == '=') { tok[0] = src[0]; tok[1] = '='; tok[2] = 0; src += 2; return; }
  tok[0] = *src++; tok[1] = 0;
}
static int is(const char *s) { return strcmp(tok, s) == 0; }
static void expect(const char *s) { if (!is(s)) fail("syntax error"); lex(); }

static void expr(void);
static void primary(void) {
  if (is("#")) { emit(PUSH); emit(tokval); lex(); }
  else if (is("(")) { lex(); expr(); expect(")"); }
  else if (is("-")) { lex(); primary(); emit(NEG); }
  else if (isalpha((unsigned char)tok[0]) && !tok[1]) { emit(LOAD); emit(tok[0] - 'a'); lex(); }
  else fail("bad expression");
}
static void mul(void) {
  primary();
  for (;;) {
    int op = is("*") ? MUL : is("/") ? DIV : is("%") ? MOD : -1;
    if (op < 0) return;
    lex(); primary(); emit(op);
  }
}
static void add(void) {
  mul();
  for (;;) {
    int op = is("+") ? ADD : is("-") ? SUB : -1;
    if (op < 0) return;
    lex(); mul(); emit(op);
  }
}
static void expr(void) {
  add();
  int op = is("<") ? LT : is(">") ? GT : is("<=") ? LE : is(">=") ? GE : is("==") ? EQ : is("!=") ? NE : -1;
  if (op >= 0) { lex(); add(); emit(op); }
}
static void block(void);
static void stmt(void) {
  if (is("while")) {
    lex(); int top = ncode; expect("("); expr(); expect(")");
    emit(JZ); int fix = ncode; emit(0);
    block(); emit(JMP); emit(top); code[fix] = ncode;
  } else if (is("if")) {
    lex(); expect("("); expr(); expect(")");
    emit(JZ); int fix = ncode; emit(0);
    block();
    if (is("else")) { lex(); emit(JMP); int fix2 = ncode; emit(0); code[fix] = ncode; block(); code[fix2] = ncode; }
    else code[fix] = ncode;
  } else if (is("print")) {
    lex(); expr(); expect(";"); emit(PRINT);
  } else if (isalpha((unsigned char)tok[0]) && !tok[1]) {
    int v = tok[0] - 'a'; lex(); expect("="); expr(); expect(";"); emit(STORE); emit(v);
  } else fail("bad statement");
}
static void block(void) { expect("{"); while (!is("}")) { if (!tok[0]) fail("eof in block"); stmt(); } lex(); }

static uint64_t run(int64_t *vars) {
  int64_t stack[256];
  int sp = 0;
  uint64_t ops = 0;
  const int64_t *pc = code;
  for (;;) {
    ops++;
    switch (*pc++) {
      case PUSH: stack[sp++] = *pc++; break;
      case LOAD: stack[sp++] = vars[*pc++]; break;
      case STORE: vars[*pc++] = stack[--sp]; break;
#define BIN(OP, E) case OP: { int64_t b = stack[--sp], a = stack[sp - 1]; stack[sp - 1] = (E); break; }
      BIN(ADD, (int64_t)((uint64_t)a + (uint64_t)b))
      BIN(SUB, (int64_t)((uint64_t)a - (uint64_t)b))
      BIN(MUL, (int64_t)((uint64_t)a * (uint64_t)b))
      BIN(DIV, b == 0 || (b == -1 && a == INT64_MIN) ? 0 : a / b)
      BIN(MOD, b == 0 || b == -1 ? 0 : a % b)
      BIN(LT, a < b) BIN(GT, a > b) BIN(LE, a <= b) BIN(GE, a >= b) BIN(EQ, a == b) BIN(NE, a != b)
      case NEG: stack[sp - 1] = (int64_t)(0 - (uint64_t)stack[sp - 1]); break;
      case JMP: pc = code + *pc; break;
      case JZ: if (stack[--sp] == 0) pc = code + *pc; else pc++; break;
      case PRINT: printf("%lld\n", (long long)stack[--sp]); break;
      case HALT: return ops;
      default: fprintf(stderr, "interp: bad opcode\n"); exit(3);
    }
  }
}

int main(int argc, char **argv) {
  int64_t vars[26] = {0};
  vars['n' - 'a'] = argc > 1 ? atol(argv[1]) : 40000;
  src = script; lex();
  while (tok[0]) stmt();
  emit(HALT);
  printf("interp n=%lld: %d bytecode words\n", (long long)vars['n' - 'a'], ncode);
  uint64_t ops = run(vars);
  printf("%llu bytecode ops\n", (unsigned long long)ops);
  return 0;
}
