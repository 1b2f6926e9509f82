Attribute VB_Name = "Planbook"
' planbook coordinator buttons.  Each button runs one planbook job; planbook decides what it
' does and says (planbook.excel), and this module only carries it there and back.  How the
' buttons work, and what to do when Excel cannot run them: docs/excel.md.
Option Explicit

Private Const ERR_PLANBOOK As Long = 1513  ' a user-defined error number (513-65535)
Private jText As String
Private jPos As Long
Private jSlash As Long

Public Sub ConsolidateButton()
    RunPlanbook "consolidate"
End Sub

Public Sub WordSummaryButton()
    RunPlanbook "report"
End Sub

Public Sub EmailReportButton()
    RunPlanbook "email"
End Sub

Public Sub SplitForLeadsButton()
    RunPlanbook "split"
End Sub

Public Sub ChaseLeadsButton()
    RunPlanbook "chase"
End Sub

Public Sub CollectReturnsButton()
    RunPlanbook "collect"
End Sub

' Two ways, the same results.  Through xlwings RunPython when it is there (the module embedded
' in this workbook, or the add-in: Application.Run finds either, so no VBA reference): the
' Python side writes the results itself.  Otherwise, on Windows Excel and LibreOffice, through
' the planbook command set on the Control sheet.  Mac Excel keeps to xlwings: its sandbox does
' not run outside programs dependably.
Private Sub RunPlanbook(ByVal job As String)
    Dim code As String
    code = "import planbook.excel; planbook.excel.run_button('" & job & "')"
    Application.StatusBar = "planbook: " & job & " running..."
    SetResult "pb_status", "Running " & job & ChrW(8230)
    If Not RunThroughXlwings(code) Then
        If IsMacExcel() Then
            ShowError "planbook could not start Python through xlwings." & vbCrLf & vbCrLf & _
                      "On macOS, Excel runs the buttons through xlwings only (its sandbox does not run " & _
                      "the planbook command dependably). Install the xlwings add-in (xlwings addin install) " & _
                      "and check the interpreter on the xlwings.conf sheet, or use the command lines at the " & _
                      "foot of the Control sheet."
        Else
            RunThroughCommandLine job
        End If
    End If
    Application.StatusBar = False
End Sub

Private Function RunThroughXlwings(ByVal code As String) As Boolean
    On Error Resume Next
    Err.Clear
    Application.Run "'" & ThisWorkbook.Name & "'!RunPython", code
    If Err.Number = 0 Then
        RunThroughXlwings = True
        Exit Function
    End If
    Err.Clear
    Application.Run "xlwings.xlam!RunPython", code
    RunThroughXlwings = (Err.Number = 0)
    Err.Clear
End Function

Private Function IsMacExcel() As Boolean
    On Error Resume Next
    IsMacExcel = (Application.OperatingSystem Like "Mac*")
End Function

Private Function IsWindows() As Boolean
    IsWindows = (Environ("COMSPEC") <> "")
End Function

Private Function Sep() As String
    If IsWindows() Then Sep = "\" Else Sep = "/"
End Function

' ---- the command-line way ------------------------------------------------------------------

' Runs "planbook button JOB" with every setting and where this workbook is, and writes what it
' answers: the Results cells from its JSON, the Data issues or Returns rows from its rows file.
Private Sub RunThroughCommandLine(ByVal job As String)
    ' Every Dim at the top: LibreOffice declares a variable only when its Dim line runs.
    Dim args As Collection, result As Variant, tmpStem As String, sheet As Variant, rowsFile As Integer
    On Error GoTo Failed
    tmpStem = TempStem()
    Set args = New Collection
    args.Add "button"
    args.Add job
    args.Add "--location"
    args.Add WorkbookLocation()
    AddSettings args
    args.Add "--rows-file"
    args.Add tmpStem & ".rows"
    args.Add "--json"
    ParseJson RunCommand(args, tmpStem), result
    SetResult "pb_status", JItem(result, "status")
    SetResult "pb_counts", JItem(result, "counts")
    SetResult "pb_output", JItem(result, "output")
    rowsFile = FreeFile
    Open tmpStem & ".rows" For Input As #rowsFile
    For Each sheet In JItem(result, "sheets")
        WriteSheet sheet, rowsFile
    Next
    Close #rowsFile
    Cleanup tmpStem
    ThisWorkbook.Worksheets("Control").Activate
    Exit Sub
Failed:
    ShowError Err.Description
    On Error Resume Next
    Close
    If tmpStem <> "" Then Cleanup tmpStem
End Sub

' Where this workbook is: its folder, or for a workbook Excel opened from OneDrive or SharePoint
' the https:// address Excel gives as its path (planbook finds the folder synced to this
' computer).  A workbook-level name PlanbookWorkbookLocation, where a workbook has one, says where
' instead: the tests use it, as LibreOffice gives no path for a workbook opened from an address.
Private Function WorkbookLocation() As String
    On Error Resume Next
    WorkbookLocation = CStr(ThisWorkbook.Names("PlanbookWorkbookLocation").RefersToRange.Value)
    If Err.Number <> 0 Or WorkbookLocation = "" Then WorkbookLocation = ThisWorkbook.Path
    Err.Clear
End Function

' Every setting on the Control sheet (a workbook-level name starting pb_; not the Results cells)
' as --set NAME=VALUE: a date as YYYY-MM-DD, line breaks as spaces (a command line holds none).
Private Sub AddSettings(ByVal args As Collection)
    Dim item As Variant, value As Variant, name As String
    For Each item In ThisWorkbook.Names
        name = item.Name
        If LCase$(Left$(name, 3)) = "pb_" And InStr(" pb_status pb_counts pb_output ", " " & name & " ") = 0 Then
            value = item.RefersToRange.Value
            If VarType(value) = vbDate Then value = Format(value, "yyyy-mm-dd")
            value = Replace(Replace(CStr(value), vbCr, " "), vbLf, " ")
            args.Add "--set"
            args.Add name & "=" & value
        End If
    Next
End Sub

' Runs the planbook command with these arguments; returns what it printed, or raises its error.
Private Function RunCommand(ByVal args As Collection, ByVal tmpStem As String) As String
    Dim command As String, jsonFile As String, errFile As String, doneFile As String
    Dim cmdLine As String, arg As Variant, exitCode As Long, f As Integer, started As Double
    Dim wsh As Object, problem As String
    command = Setting("pb_command")
    If command = "" Then command = "planbook"
    jsonFile = tmpStem & ".json"
    errFile = tmpStem & ".err"
    If IsWindows() Then
        Set wsh = CreateObject("WScript.Shell")
        exitCode = wsh.Run(WindowsCommandLine(command, args, jsonFile, errFile), 0, True)
    Else
        ' The arguments go into a script file: no quoting through Shell's own command line.
        doneFile = tmpStem & ".done"
        cmdLine = ShellQuoted(command)
        For Each arg In args
            cmdLine = cmdLine & " " & ShellQuoted(CStr(arg))
        Next
        f = FreeFile
        Open tmpStem & ".sh" For Output As #f
        Print #f, cmdLine & " > " & ShellQuoted(jsonFile) & " 2> " & ShellQuoted(errFile)
        Print #f, "echo $? > " & ShellQuoted(doneFile & ".tmp") & " && mv " & ShellQuoted(doneFile & ".tmp") & " " & ShellQuoted(doneFile)
        Close #f
        Shell "/bin/sh """ & tmpStem & ".sh""", 0
        started = Now
        Do While Dir(doneFile) = ""
            Application.Wait Now + 0.2 / 86400#
            DoEvents
            If Now - started > 1 / 24 Then Fail "planbook did not finish within an hour (" & tmpStem & ".sh)"
        Loop
        exitCode = CLng(Val(ReadFile(doneFile)))
    End If
    RunCommand = ReadFile(jsonFile)
    problem = LastLine(ReadFile(errFile))
    If exitCode <> 0 Then
        If Left$(problem, 10) = "planbook: " Then Fail Mid$(problem, 11)
        problem = FirstLine(ReadFile(errFile))
        Fail "could not run the planbook command " & command & IIf(problem <> "", " (" & problem & ")", "") & "." & _
             vbCrLf & vbCrLf & "Set '" & Label("pb_command") & "' on the Control sheet to the planbook program, " & _
             "e.g. the full path to a virtual environment's planbook (C:\planbook\.venv\Scripts\planbook.exe " & _
             "or /home/you/planbook/.venv/bin/planbook)."
    End If
    If Trim$(RunCommand) = "" Then Fail "the planbook command " & command & " printed nothing (" & problem & ")"
End Function

Private Function TempStem() As String
    Dim folder As String
    folder = Environ("TEMP")
    If folder = "" Then folder = Environ("TMPDIR")
    If folder = "" Then folder = "/tmp"
    If Right$(folder, 1) = Sep() Then folder = Left$(folder, Len(folder) - 1)
    Randomize
    TempStem = folder & Sep() & "planbook-button-" & Format(Now, "yyyymmddhhnnss") & "-" & CStr(Int(Rnd() * 1000000))
End Function

Private Sub Cleanup(ByVal tmpStem As String)
    Dim ext As Variant
    On Error Resume Next
    For Each ext In Array(".json", ".err", ".done", ".sh", ".rows")
        If Dir(tmpStem & ext) <> "" Then Kill tmpStem & ext
    Next
End Sub

' A text as one word of a POSIX shell's command line.
Private Function ShellQuoted(ByVal text As String) As String
    ShellQuoted = "'" & Replace(text, "'", "'\''") & "'"
End Function

' The line WScript.Shell runs on Windows: cmd, to send the output of COMMAND ARGS... to the two
' files.  Each argument is written as the C runtime reads it back (WindowsArgument), then every
' character cmd or WScript.Shell would act on is escaped with ^ (CmdEscaped), so whatever a
' setting holds -- a trailing backslash, quotes, &, %PATH% -- reaches planbook as it was typed.
' /d: no AutoRun commands; /v:off: no !variables!; /s /c "...": the outer quotes are taken off.
Private Function WindowsCommandLine(ByVal command As String, ByVal args As Variant, ByVal jsonFile As String, _
                                    ByVal errFile As String) As String
    Dim cmdLine As String, arg As Variant
    cmdLine = """" & command & """"
    For Each arg In args
        cmdLine = cmdLine & " " & CmdEscaped(WindowsArgument(CStr(arg)))
    Next
    WindowsCommandLine = "cmd /d /v:off /s /c """ & cmdLine & " > """ & jsonFile & """ 2> """ & errFile & """"""
End Function

' One argument as the Windows C runtime splits a command line (Python's subprocess.list2cmdline):
' in quotes if it is empty or has a space or tab; backslashes before a quote, and before the
' closing quote, doubled; a quote as \".
Private Function WindowsArgument(ByVal text As String) As String
    Dim i As Long, ch As String, slashes As Long, out As String
    For i = 1 To Len(text)
        ch = Mid$(text, i, 1)
        If ch = "\" Then
            slashes = slashes + 1
        Else
            If ch = """" Then
                out = out & String$(slashes * 2 + 1, "\") & ch
            Else
                out = out & String$(slashes, "\") & ch
            End If
            slashes = 0
        End If
    Next
    If text = "" Or InStr(text, " ") > 0 Or InStr(text, vbTab) > 0 Then
        WindowsArgument = """" & out & String$(slashes * 2, "\") & """"
    Else
        WindowsArgument = out & String$(slashes, "\")
    End If
End Function

' A text with every character cmd.exe (or WScript.Shell's %variable% expansion) acts on escaped
' with ^: then cmd sees no quotes, operators or variables in it, and passes it on as it is.
Private Function CmdEscaped(ByVal text As String) As String
    Dim i As Long, ch As String, out As String
    For i = 1 To Len(text)
        ch = Mid$(text, i, 1)
        If InStr("()%!^""<>&|", ch) > 0 Then out = out & "^"
        out = out & ch
    Next
    CmdEscaped = out
End Function

Private Function ReadFile(ByVal path As String) As String
    ' Lines are added to a short piece first, and the piece to the text: faster for long files.
    Dim f As Integer, textLine As String, piece As String, text As String
    If Dir(path) = "" Then Exit Function
    f = FreeFile
    Open path For Input As #f
    Do While Not EOF(f)
        Line Input #f, textLine
        piece = piece & textLine & vbLf
        If Len(piece) > 16384 Then
            text = text & piece
            piece = ""
        End If
    Loop
    Close #f
    ReadFile = text & piece
End Function

Private Function FirstLine(ByVal text As String) As String
    Dim lines As Variant, i As Long
    lines = Split(Replace(text, vbCr, ""), vbLf)
    For i = LBound(lines) To UBound(lines)
        If Trim$(lines(i)) <> "" Then
            FirstLine = Trim$(lines(i))
            Exit Function
        End If
    Next
End Function

Private Function LastLine(ByVal text As String) As String
    Dim lines As Variant, i As Long
    lines = Split(Replace(text, vbCr, ""), vbLf)
    For i = UBound(lines) To LBound(lines) Step -1
        If Trim$(lines(i)) <> "" Then
            LastLine = Trim$(lines(i))
            Exit Function
        End If
    Next
End Function

' ---- the Control sheet and the sheets the jobs fill ------------------------------------------

Private Function Setting(ByVal name As String) As String
    Setting = Trim$(CStr(ThisWorkbook.Names(name).RefersToRange.Value))
End Function

Private Function Label(ByVal name As String) As String
    Label = CStr(ThisWorkbook.Names(name).RefersToRange.Offset(0, -1).Value)
End Function

Private Sub SetResult(ByVal name As String, ByVal value As String)
    ThisWorkbook.Names(name).RefersToRange.Value = value
End Sub

Private Sub ShowError(ByVal message As String)
    On Error Resume Next
    SetResult "pb_status", "Failed: " & message
    MsgBox message, vbCritical, "planbook"
End Sub

Private Sub Fail(ByVal message As String)
    Err.Raise ERR_PLANBOOK, "planbook", message
End Sub

' One sheet a job fills (its JSON: name, header, row_count, text_columns): the rows come from the
' rows file, one a line, tab-separated.  Written in one go a part: the text columns formatted as
' text and assigned as values (whatever a lead typed, even "=...", stays text), the others (numbers,
' planbook's own links) assigned as formulas, which Excel and LibreOffice read the same way.
Private Sub WriteSheet(ByVal spec As Collection, ByVal rowsFile As Integer)
    Dim sheet As Object, header As Collection, title As Variant, texts() As Variant, others() As Variant
    Dim fields As Variant, textLine As String, rowCount As Long, columnCount As Long, textColumns As Long
    Dim r As Long, c As Long, escaped As Boolean, value As Variant
    Set sheet = ThisWorkbook.Worksheets(CStr(JItem(spec, "name")))
    Set header = JItem(spec, "header")
    rowCount = JItem(spec, "row_count")
    textColumns = JItem(spec, "text_columns")
    columnCount = header.Count
    sheet.Cells.ClearContents
    c = 0
    For Each title In header
        c = c + 1
        sheet.Cells(1, c).Value = title
    Next
    If rowCount = 0 Then Exit Sub
    ReDim texts(1 To rowCount, 1 To textColumns)
    If columnCount > textColumns Then ReDim others(1 To rowCount, 1 To columnCount - textColumns)
    For r = 1 To rowCount
        Line Input #rowsFile, textLine
        If Right$(textLine, 1) = vbCr Then textLine = Left$(textLine, Len(textLine) - 1)
        escaped = (InStr(textLine, Chr(1)) > 0)
        fields = Split(textLine, vbTab)
        For c = 1 To columnCount
            If c - 1 > UBound(fields) Then
                value = ""
            ElseIf escaped Then
                value = Unescape(CStr(fields(c - 1)))
            Else
                value = fields(c - 1)
            End If
            If c <= textColumns Then texts(r, c) = value Else others(r, c - textColumns) = value
        Next
    Next
    With sheet.Range(sheet.Cells(2, 1), sheet.Cells(rowCount + 1, textColumns))
        .NumberFormat = "@"
        .Value = texts
    End With
    If columnCount > textColumns Then
        sheet.Range(sheet.Cells(2, textColumns + 1), sheet.Cells(rowCount + 1, columnCount)).Formula = others
    End If
End Sub

' A field of the rows file as it was.  planbook escapes with character 1 (never in a path or a
' cell's text, so most lines need nothing undone): then t, n or r is a tab, line break or return,
' uXXXX one UTF-16 unit (any non-ASCII character), and character 1 twice is itself.
Private Function Unescape(ByVal text As String) As String
    Dim at As Long, out As String, ch As String
    at = InStr(text, Chr(1))
    Do While at > 0
        out = out & Left$(text, at - 1)
        ch = Mid$(text, at + 1, 1)
        Select Case ch
        Case "t": out = out & vbTab
        Case "n": out = out & vbLf
        Case "r": out = out & vbCr
        Case "u"
            out = out & ChrW(CLng("&H" & Mid$(text, at + 2, 4)))
            at = at + 4
        Case Else: out = out & ch
        End Select
        text = Mid$(text, at + 2)
        at = InStr(text, Chr(1))
    Loop
    Unescape = out & text
End Function

' ---- a small JSON reader: objects and arrays become Collections (objects keyed by name) ------

Private Sub ParseJson(ByVal text As String, ByRef result As Variant)
    jText = text
    jPos = 1
    jSlash = InStr(1, jText, "\")
    JValue result
End Sub

Private Function JItem(ByVal obj As Collection, ByVal key As String) As Variant
    On Error GoTo Missing
    If IsObject(obj(key)) Then
        Set JItem = obj(key)
    Else
        JItem = obj(key)
    End If
    Exit Function
Missing:
    JItem = Null
End Function

Private Function JNext() As Variant
    Dim v As Variant
    JValue v
    If IsObject(v) Then Set JNext = v Else JNext = v
End Function

Private Sub JSkip()
    Do While jPos <= Len(jText)
        Select Case Mid$(jText, jPos, 1)
        Case " ", vbTab, vbCr, vbLf
            jPos = jPos + 1
        Case Else
            Exit Do
        End Select
    Loop
End Sub

Private Sub JExpect(ByVal ch As String)
    JSkip
    If Mid$(jText, jPos, 1) <> ch Then Fail "planbook printed something that is not its JSON summary (at character " & jPos & ")"
    jPos = jPos + 1
End Sub

Private Sub JValue(ByRef result As Variant)
    Dim items As Collection, key As String, start As Long
    JSkip
    Select Case Mid$(jText, jPos, 1)
    Case "{"
        Set items = New Collection
        jPos = jPos + 1
        JSkip
        If Mid$(jText, jPos, 1) = "}" Then
            jPos = jPos + 1
        Else
            Do
                JSkip
                key = JString()
                JExpect ":"
                items.Add JNext(), key
                JSkip
                jPos = jPos + 1
                If Mid$(jText, jPos - 1, 1) = "}" Then Exit Do
                If Mid$(jText, jPos - 1, 1) <> "," Then Fail "planbook printed something that is not its JSON summary"
            Loop
        End If
        Set result = items
    Case "["
        Set items = New Collection
        jPos = jPos + 1
        JSkip
        If Mid$(jText, jPos, 1) = "]" Then
            jPos = jPos + 1
        Else
            Do
                items.Add JNext()
                JSkip
                jPos = jPos + 1
                If Mid$(jText, jPos - 1, 1) = "]" Then Exit Do
                If Mid$(jText, jPos - 1, 1) <> "," Then Fail "planbook printed something that is not its JSON summary"
            Loop
        End If
        Set result = items
    Case """"
        result = JString()
    Case "t"
        jPos = jPos + 4
        result = True
    Case "f"
        jPos = jPos + 5
        result = False
    Case "n"
        jPos = jPos + 4
        result = Null
    Case Else
        start = jPos
        Do While jPos <= Len(jText) And InStr("+-0123456789.eE", Mid$(jText, jPos, 1)) > 0
            jPos = jPos + 1
        Loop
        If jPos = start Then Fail "planbook printed something that is not its JSON summary (at character " & jPos & ")"
        result = Val(Mid$(jText, start, jPos - start))
    End Select
End Sub

Private Function JString() As String
    Dim out As String, ch As String, run As Long, quoteAt As Long, slashAt As Long
    JExpect """"
    Do
        ' Jump to the next quote or backslash (InStr, not a loop over characters: much faster).
        run = jPos
        quoteAt = InStr(jPos, jText, """")
        If jSlash > 0 And jSlash < jPos Then jSlash = InStr(jPos, jText, "\")  ' the next backslash, found once
        slashAt = jSlash
        If quoteAt = 0 Then Fail "planbook printed something that is not its JSON summary (unfinished text)"
        If slashAt > 0 And slashAt < quoteAt Then jPos = slashAt Else jPos = quoteAt
        ch = Mid$(jText, jPos, 1)
        out = out & Mid$(jText, run, jPos - run)
        If ch = """" Then
            jPos = jPos + 1
            Exit Do
        End If
        ch = Mid$(jText, jPos + 1, 1)
        jPos = jPos + 2
        Select Case ch
        Case "n": out = out & vbLf
        Case "r": out = out & vbCr
        Case "t": out = out & vbTab
        Case "b": out = out & ChrW(8)
        Case "f": out = out & ChrW(12)
        Case "u"
            out = out & ChrW(CLng("&H" & Mid$(jText, jPos, 4)))
            jPos = jPos + 4
        Case Else: out = out & ch
        End Select
    Loop
    JString = out
End Function
