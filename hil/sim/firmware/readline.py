# Runs INSIDE the twin's MicroPython process: the REPL's line editor.
#
# A port of shared/readline/readline.c (VT100 redraw, history of 8, emacs
# keys, auto-indent) and of py/repl.c's mp_repl_continue_with_input(), the
# rules that decide when the friendly REPL shows "... " and reads on.
# Enter is "\r"; from v1.25 "\n" is Enter too and the "\n" of "\r\n" is
# dropped (docs/protocols.md §3.1). Tab completion of names is not ported; a tab
# after whitespace inserts 4 spaces, as on the board.
import gc

import hal

HISTORY_SIZE = 8
_ESC_NONE = 0
_ESC = 1
_ESC_BRACKET = 2
_ESC_BRACKET_DIGIT = 3
_ESC_O = 4
_AI_ENABLED = 1
_AI_JUST_ADDED = 2

hist = []
line = ""  # the whole input so far (vstr): earlier lines of a compound statement + this one
_orig = 0
_cursor = 0
_esc = _ESC_NONE
_esc_digit = ""
_hist_cur = -1
_prompt = ""
_ai = 0
_last_cr = False
_newline_lf = tuple(hal.CONFIG.get("version_tuple", (1, 24, 1))) >= (1, 25)


def _back(n):
    if n <= 0:
        return
    if n <= 4:
        hal.tx("\b" * n)
    else:
        hal.tx("\x1b[%uD" % n)


def _push_history(s):
    if s and (not hist or hist[0] != s):
        # the editing's garbage (a C buffer on the board) goes first, so the entry,
        # which lives on, lands low in the heap instead of cutting the user's share
        gc.collect()
        hist.insert(0, "%s" % s)  # a copy, made after the collection
        del hist[HISTORY_SIZE:]


def init(text, prompt):
    global line, _orig, _cursor, _esc, _hist_cur, _prompt, _ai
    line = text
    _orig = len(text)
    _cursor = _orig
    _esc = _ESC_NONE
    _hist_cur = -1
    _prompt = prompt
    hal.tx(prompt)
    if not text:
        _ai = _AI_ENABLED
    _auto_indent()


def note_newline(prompt):
    global _orig, _cursor, _prompt
    _orig = len(line)
    _cursor = _orig
    _prompt = prompt
    hal.tx(prompt)
    _auto_indent()


def _auto_indent():
    global line, _cursor, _ai
    if not (_ai & _AI_ENABLED):
        return
    n_line = len(line)
    if n_line > 1 and line[-1] == "\n":
        i = n_line - 1
        while i > 0 and line[i - 1] != "\n":
            i -= 1
        j = i
        while j < n_line and line[j] == " ":
            j += 1
        # i = start of the previous line; j = its first non-space
        if i > 0 and j + 1 == n_line:
            # previous line is not the first line and is all spaces
            k = i - 1
            while k > 0:
                if line[k - 1] == "\n":
                    return  # the last 2 lines are all spaces: stop indenting
                if line[k - 1] != " ":
                    break
                k -= 1
        n = (j - i) // 4
        if line[n_line - 2] == ":":
            n += 1
        while n > 0:
            n -= 1
            line += "    "
            hal.tx("    ")
            _cursor += 4
            _ai |= _AI_JUST_ADDED


def process_char(c):
    """One input byte; returns -1 (keep reading), 0 (Enter) or a control char."""
    global line, _cursor, _esc, _esc_digit, _hist_cur, _ai, _last_cr
    last_len = len(line)
    step_back = 0
    from_cursor = False
    step_fwd = 0
    was_cr = _last_cr
    _last_cr = False
    if _esc == _ESC_NONE:
        if 1 <= c <= 5 and len(line) == _orig:
            return c  # control char on an empty line
        elif c == 1:  # Ctrl-A: home
            step_back = _cursor - _orig
        elif c == 2:  # Ctrl-B: left
            if _cursor > _orig:
                step_back = 1
        elif c == 3:  # Ctrl-C on a non-empty line: cancel
            return c
        elif c == 4:  # Ctrl-D: delete at cursor
            if _cursor < len(line):
                line = line[:_cursor] + line[_cursor + 1 :]
                from_cursor = True
        elif c == 5:  # Ctrl-E: end
            step_fwd = len(line) - _cursor
        elif c == 6:  # Ctrl-F: right
            if _cursor < len(line):
                step_fwd = 1
        elif c == 11:  # Ctrl-K: kill to end of line
            line = line[:_cursor]
            from_cursor = True
        elif c == 14:  # Ctrl-N
            return _hist_move(-1)
        elif c == 16:  # Ctrl-P
            return _hist_move(1)
        elif c == 21:  # Ctrl-U: kill to start of line
            step_back = _cursor - _orig
            line = line[:_orig] + line[_cursor:]
            from_cursor = True
        elif c == 13 or (c == 10 and _newline_lf):
            if c == 10 and was_cr:
                return -1  # the "\n" of "\r\n"
            _last_cr = c == 13
            hal.tx("\r\n")
            _push_history(line[_orig:])
            return 0
        elif c == 27:
            _esc = _ESC
        elif c == 8 or c == 127:
            if _cursor > _orig:
                nspace = 0
                for ch in line[_orig:_cursor]:
                    if ch != " ":
                        nspace = 0
                        break
                    nspace += 1
                nspace = 4 if nspace >= 4 else 1
                line = line[: _cursor - nspace] + line[_cursor:]
                step_back = nspace
                from_cursor = True
        elif (_ai & _AI_JUST_ADDED) and (c == 9 or c == 32):
            # tab/space right after auto-indent: a space removes 3 of its 4 spaces
            _ai = 0
            if c == 32:
                step_back = 3
                line = line[:-3]
        elif c == 9:
            if len(line) and line[_cursor - 1] in " \t\n":
                line = line[:_cursor] + "    " + line[_cursor:]
                from_cursor = True
                step_fwd = 4
        elif 32 <= c <= 126:
            line = line[:_cursor] + chr(c) + line[_cursor:]
            from_cursor = True
            step_fwd = 1
    elif _esc == _ESC:
        if c == 91:  # [
            _esc = _ESC_BRACKET
        elif c == 79:  # O
            _esc = _ESC_O
        else:
            _esc = _ESC_NONE
    elif _esc == _ESC_BRACKET:
        if 48 <= c <= 57:
            _esc = _ESC_BRACKET_DIGIT
            _esc_digit = chr(c)
        else:
            _esc = _ESC_NONE
            if c == 65:  # up
                return _hist_move(1)
            elif c == 66:  # down
                return _hist_move(-1)
            elif c == 67:  # right
                if _cursor < len(line):
                    step_fwd = 1
            elif c == 68:  # left
                if _cursor > _orig:
                    step_back = 1
            elif c == 72:  # home
                step_back = _cursor - _orig
            elif c == 70:  # end
                step_fwd = len(line) - _cursor
    elif _esc == _ESC_BRACKET_DIGIT:
        if c == 126:  # ~
            if _esc_digit in "17":
                step_back = _cursor - _orig
            elif _esc_digit in "48":
                step_fwd = len(line) - _cursor
            elif _esc_digit == "3" and _cursor < len(line):
                line = line[:_cursor] + line[_cursor + 1 :]
                from_cursor = True
        _esc = _ESC_NONE
    elif _esc == _ESC_O:
        if c == 72:
            step_back = _cursor - _orig
        elif c == 70:
            step_fwd = len(line) - _cursor
        _esc = _ESC_NONE
    else:
        _esc = _ESC_NONE
    _redraw(last_len, step_back, from_cursor, step_fwd)
    return -1


def _redraw(last_len, step_back, from_cursor, step_fwd):
    global _cursor, _ai
    if step_back > 0:
        _back(step_back)
        _cursor -= step_back
    if from_cursor:
        if len(line) < last_len:
            hal.tx("\x1b[K")
        hal.tx(line[_cursor:])
        _back(len(line) - (_cursor + step_fwd))
        _cursor += step_fwd
    elif step_fwd > 0:
        hal.tx(line[_cursor : _cursor + step_fwd])
        _cursor += step_fwd
    _ai &= ~_AI_JUST_ADDED


def _hist_move(d):
    global line, _hist_cur
    last_len = len(line)
    if d > 0:
        if _hist_cur + 1 < len(hist):
            _hist_cur += 1
            step_back = _cursor - _orig
            line = line[:_orig] + hist[_hist_cur]
            _redraw(last_len, step_back, True, len(line) - _orig)
    elif _hist_cur >= 0:
        _hist_cur -= 1
        step_back = _cursor - _orig
        line = line[:_orig] + (hist[_hist_cur] if _hist_cur >= 0 else "")
        _redraw(last_len, step_back, True, len(line) - _orig)
    return -1


def readline(text, prompt):
    """Edit one line after `text` (the statement so far); returns 0 or a control char."""
    init(text, prompt)
    while True:
        r = process_char(hal.rx_chr())
        if r >= 0:
            return r


def _startswith_word(s, head):
    if not s.startswith(head):
        return False
    if len(s) == len(head):
        return True
    ch = s[len(head)]
    return not (ch.isalpha() or ch.isdigit() or ch == "_")


def continue_with_input(s):
    """py/repl.c mp_repl_continue_with_input."""
    if not s:
        return False
    compound = s[0] == "@"
    if not compound:
        for kw in ("if", "while", "for", "try", "with", "def", "class", "async"):
            if _startswith_word(s, kw):
                compound = True
                break
    n_paren = n_brack = n_brace = 0
    q = 0  # 0 none, 1 ', 2 ", 3 ''', 4 """
    i = 0
    n = len(s)
    while i < n:
        ch = s[i]
        if ch == "'":
            if (q == 0 or q == 3) and s[i + 1 : i + 3] == "''":
                i += 2
                q = 3 - q
            elif q == 0 or q == 1:
                q = 1 - q
        elif ch == '"':
            if (q == 0 or q == 4) and s[i + 1 : i + 3] == '""':
                i += 2
                q = 4 - q
            elif q == 0 or q == 2:
                q = 2 - q
        elif ch == "\\" and i + 1 < n and s[i + 1] in "'\"\\":
            if q != 0:
                i += 1
        elif q == 0:
            if ch == "(":
                n_paren += 1
            elif ch == ")":
                n_paren -= 1
            elif ch == "[":
                n_brack += 1
            elif ch == "]":
                n_brack -= 1
            elif ch == "{":
                n_brace += 1
            elif ch == "}":
                n_brace -= 1
        i += 1
    if q == 3 or q == 4:
        return True
    if (n_paren > 0 or n_brack > 0 or n_brace > 0) and q == 0:
        return True
    if s[-1] == "\\":
        return True
    if compound and s[-1] != "\n":
        return True
    return False
