Attribute VB_Name = "Planbook"
' planbook coordinator buttons.
'
' Each button on the Control sheet runs one planbook job.  Two ways, the same results:
'
' 1. Through xlwings RunPython, when it is there: the Python side (planbook.excel.run_button)
'    reads the settings on the Control sheet, runs the job, and writes the status line, the
'    counts and the file it made back onto the Control sheet; problems go to "Data issues".
'    RunPython comes from the xlwings VBA module embedded in this workbook (standalone set-up)
'    or from the xlwings add-in; Application.Run finds whichever is there, so no VBA reference.
' 2. Otherwise (no add-in, no embedded module, or LibreOffice Calc) through the planbook
'    command line: the command on the Control sheet ("planbook command"; a full path to a
'    virtual environment's planbook works) is run with --json and waited for; this module then
'    writes the same Results cells and Data issues rows from the JSON it printed.  Windows:
'    WScript.Shell Run, hidden window, wait.  LibreOffice on Linux or macOS: Shell runs a small
'    sh script, and the macro waits for the file that script writes when planbook has finished
'    (Shell's own wait argument is LibreOffice-only and would stop Excel compiling this module).
'    macOS Excel keeps xlwings: its sandbox does not run outside programs dependably.
'
' Every error is one plain message box, and is written to the Results "Status" cell too.
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

Private Sub RunPlanbook(ByVal job As String)
    Dim code As String
    code = "import planbook.excel; planbook.excel.run_button('" & job & "')"
    Application.StatusBar = "planbook: " & job & " running..."
    If Not RunThroughXlwings(code) Then
        If IsMacExcel() Then
            ShowError "planbook could not start Python through xlwings." & vbCrLf & vbCrLf & _
                      "On macOS, Excel runs the buttons through xlwings only (its sandbox does not run " & _
                      "the planbook command dependably). Install the xlwings add-in (xlwings addin install) " & _
                      "and check the interpreter on the xlwings.conf sheet."
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

Private Sub RunThroughCommandLine(ByVal job As String)
    ' Every Dim at the top: LibreOffice declares a variable only when its Dim line runs.
    Dim args As Collection, outDir As String, consolidated As String, result As Variant
    Dim returns As String, plan As String, previous As String, address As Variant, sending As Boolean
    Dim source As Variant, used As Long, shown As String, copies As String, okExit As Long, who As String
    On Error GoTo Failed
    SetResult "pb_status", "Running " & job & ChrW(8230)
    outDir = AbsPath(Setting("pb_output_folder"))
    If outDir = "" Then Fail "fill in '" & Label("pb_output_folder") & "' on the Control sheet (where to write results)"
    consolidated = outDir & Sep() & "consolidated.xlsx"
    Set args = New Collection
    args.Add job
    Select Case job
    Case "consolidate"
        returns = AbsPath(Setting("pb_returns_folder"))
        plan = AbsPath(Setting("pb_master_plan"))
        If FolderExists(returns) Then args.Add returns
        If FileExists(plan) Then args.Add plan
        If args.Count = 1 Then Fail "neither the returns folder nor the master plan on the Control sheet exists"
        MakeFolder outDir
        args.Add "--out": args.Add consolidated
        previous = AbsPath(Setting("pb_previous"))
        If previous <> "" Then args.Add "--previous": args.Add previous
        If Setting("pb_period") <> "" Then args.Add "--period": args.Add Setting("pb_period")
        If Setting("pb_as_of") <> "" Then args.Add "--as-of": args.Add IsoDate("pb_as_of")
    Case "report"
        NeedConsolidated consolidated
        args.Add consolidated: args.Add "--out": args.Add outDir & Sep() & "summary.docx"
    Case "email"
        NeedConsolidated consolidated
        args.Add consolidated
        For Each address In Addresses(Setting("pb_email_to"))
            args.Add "--to": args.Add address
        Next
        If args.Count = 2 Then Fail "fill in '" & Label("pb_email_to") & "' on the Control sheet"
        For Each address In Addresses(Setting("pb_email_cc"))
            args.Add "--cc": args.Add address
        Next
        If Setting("pb_email_from") <> "" Then args.Add "--from": args.Add Setting("pb_email_from")
        sending = (LCase$(Left$(Setting("pb_send_mode"), 4)) = "send")
        If sending Then
            AddSmtp args
        Else
            MakeFolder outDir
            args.Add "--save": args.Add outDir & Sep() & "report.eml"
        End If
    Case "split"
        plan = AbsPath(Setting("pb_master_plan"))
        If plan = "" Then Fail "fill in '" & Label("pb_master_plan") & "' on the Control sheet (the plan to split)"
        args.Add plan: args.Add "--out": args.Add outDir & Sep() & "for-leads"
    Case "chase"
        ' Leads without an email address: planbook says so and exits 1, with its JSON summary.
        okExit = 1
        plan = AbsPath(Setting("pb_master_plan"))
        If plan = "" Then Fail "fill in '" & Label("pb_master_plan") & "' on the Control sheet (the plan whose leads to remind)"
        returns = AbsPath(Setting("pb_returns_folder"))
        If returns = "" Then Fail "fill in '" & Label("pb_returns_folder") & "' on the Control sheet (where the leads' returns are saved)"
        args.Add plan: args.Add returns
        If Setting("pb_return_by") <> "" Then args.Add "--return-by": args.Add IsoDate("pb_return_by")
        If Setting("pb_email_from") <> "" Then args.Add "--from": args.Add Setting("pb_email_from")
        copies = outDir & Sep() & "for-leads"
        If FolderExists(copies) Then args.Add "--copies": args.Add copies
        sending = (LCase$(Left$(Setting("pb_send_mode"), 4)) = "send")
        If sending Then
            AddSmtp args
        Else
            args.Add "--save-dir": args.Add outDir & Sep() & "reminders"
        End If
    End Select
    args.Add "--json"

    ParseJson RunCommand(args, okExit), result
    Select Case job
    Case "consolidate"
        For Each source In JItem(result, "sources")
            If IsNull(JItem(source, "skipped")) Then used = used + 1
        Next
        shown = JItem(result, "counts_text")
        WriteIssues JItem(result, "data_issues")
        SetResult "pb_status", "Consolidated " & JItem(result, "actions") & " actions from " & used & _
                               " file(s) at " & Format(Now, "hh:mm")
        SetResult "pb_counts", shown
        SetResult "pb_output", JItem(result, "output")
    Case "report"
        SetResult "pb_status", "Word summary written at " & Format(Now, "hh:mm")
        SetResult "pb_counts", ""
        SetResult "pb_output", JItem(result, "output")
    Case "email"
        If JItem(result, "sent") Then
            SetResult "pb_status", "Report emailed to " & JItem(result, "to") & " at " & Format(Now, "hh:mm")
            SetResult "pb_output", ""
        Else
            SetResult "pb_status", "Email saved as a draft: open it in Outlook, review and send"
            SetResult "pb_output", JItem(result, "output")
        End If
        SetResult "pb_counts", ""
    Case "split"
        SetResult "pb_status", "Wrote " & JItem(result, "copies").Count & " lead workbook(s) to send out"
        SetResult "pb_counts", JItem(result, "actions") & " actions"
        SetResult "pb_output", JItem(result, "output")
    Case "chase"
        ' The same words as planbook.excel.chase_status (the xlwings way).
        used = JItem(result, "messages").Count
        If sending Then
            shown = "Sent " & used & " reminder(s) at " & Format(Now, "hh:mm")
        ElseIf used > 0 Then
            shown = "Saved " & used & " reminder(s) as drafts: open them in Outlook, review and send"
        Else
            shown = "Nobody to remind: every lead has returned, without errors"
        End If
        If JItem(result, "no_email").Count > 0 Then
            who = ""
            For Each source In JItem(result, "no_email")
                If who <> "" Then who = who & ", "
                who = who & source
            Next
            shown = shown & "; no email address for " & who & ": not reminded"
        End If
        WriteReturns JItem(JItem(result, "tracker"), "leads")
        SetResult "pb_status", shown
        SetResult "pb_counts", JItem(JItem(result, "tracker"), "summary")
        If used > 0 And Not sending Then
            SetResult "pb_output", outDir & Sep() & "reminders"
        Else
            SetResult "pb_output", ""
        End If
    End Select
    ThisWorkbook.Worksheets("Control").Activate
    Exit Sub
Failed:
    ShowError Err.Description
End Sub

' Runs the planbook command with these arguments; returns what it printed, or raises its error.
Private Function RunCommand(ByVal args As Collection, ByVal okExit As Long) As String
    Dim command As String, tmpStem As String, jsonFile As String, errFile As String, doneFile As String
    Dim cmdLine As String, arg As Variant, exitCode As Long, f As Integer, started As Double
    Dim wsh As Object, problem As String
    command = Setting("pb_command")
    If command = "" Then command = "planbook"
    Randomize
    tmpStem = TempFolder() & Sep() & "planbook-button-" & Format(Now, "yyyymmddhhnnss") & "-" & CStr(Int(Rnd() * 1000000))
    jsonFile = tmpStem & ".json"
    errFile = tmpStem & ".err"
    If IsWindows() Then
        cmdLine = Quote(command, True)
        For Each arg In args
            cmdLine = cmdLine & " " & Quote(CStr(arg), True)
        Next
        cmdLine = "cmd /c """ & cmdLine & " > " & Quote(jsonFile, True) & " 2> " & Quote(errFile, True) & """"
        Set wsh = CreateObject("WScript.Shell")
        exitCode = wsh.Run(cmdLine, 0, True)
    Else
        ' The arguments go into a script file: no quoting through Shell's own command line.
        doneFile = tmpStem & ".done"
        cmdLine = Quote(command, False)
        For Each arg In args
            cmdLine = cmdLine & " " & Quote(CStr(arg), False)
        Next
        f = FreeFile
        Open tmpStem & ".sh" For Output As #f
        Print #f, cmdLine & " > " & Quote(jsonFile, False) & " 2> " & Quote(errFile, False)
        Print #f, "echo $? > " & Quote(doneFile & ".tmp", False) & " && mv " & Quote(doneFile & ".tmp", False) & " " & Quote(doneFile, False)
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
    If exitCode <> 0 And Not (exitCode = okExit And Trim$(RunCommand) <> "") Then
        If Left$(problem, 8) = "planbook" Then
            If Left$(problem, 10) = "planbook: " Then problem = Mid$(problem, 11)
            Cleanup tmpStem
            Fail problem
        End If
        problem = FirstLine(ReadFile(errFile))
        Cleanup tmpStem
        Fail "could not run the planbook command " & command & IIf(problem <> "", " (" & problem & ")", "") & "." & _
             vbCrLf & vbCrLf & "Set '" & Label("pb_command") & "' on the Control sheet to the planbook program, " & _
             "e.g. the full path to a virtual environment's planbook (C:\planbook\.venv\Scripts\planbook.exe " & _
             "or /home/you/planbook/.venv/bin/planbook)."
    End If
    Cleanup tmpStem
    If Trim$(RunCommand) = "" Then Fail "the planbook command " & command & " printed nothing (" & problem & ")"
End Function

Private Sub Cleanup(ByVal tmpStem As String)
    Dim ext As Variant
    On Error Resume Next
    For Each ext In Array(".json", ".err", ".done", ".sh")
        If Dir(tmpStem & ext) <> "" Then Kill tmpStem & ext
    Next
End Sub

Private Function Quote(ByVal text As String, ByVal forWindows As Boolean) As String
    If forWindows Then
        Quote = """" & Replace(text, """", "") & """"
    Else
        Quote = "'" & Replace(text, "'", "'\''") & "'"
    End If
End Function

Private Function TempFolder() As String
    TempFolder = Environ("TEMP")
    If TempFolder = "" Then TempFolder = Environ("TMPDIR")
    If TempFolder = "" Then TempFolder = "/tmp"
    If Right$(TempFolder, 1) = Sep() Then TempFolder = Left$(TempFolder, Len(TempFolder) - 1)
End Function

Private Function ReadFile(ByVal path As String) As String
    ' Lines are added to a short piece first, and the piece to the text: faster for long files.
    Dim f As Integer, textLine As String, piece As String, text As String
    If Not FileExists(path) Then Exit Function
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

' ---- settings, results and Data issues -------------------------------------------------------

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

Private Sub AddSmtp(ByVal args As Collection)
    If Setting("pb_smtp_host") = "" Then Fail "fill in '" & Label("pb_smtp_host") & "' on the Control sheet"
    args.Add "--smtp-host": args.Add Setting("pb_smtp_host")
    If Setting("pb_smtp_port") <> "" Then args.Add "--smtp-port": args.Add CStr(CLng(Val(Setting("pb_smtp_port"))))
    Select Case LCase$(Setting("pb_smtp_security"))
    Case "starttls": args.Add "--starttls"
    Case "ssl": args.Add "--ssl"
    End Select
    If Setting("pb_smtp_user") <> "" Then args.Add "--smtp-user": args.Add Setting("pb_smtp_user")
End Sub

Private Sub NeedConsolidated(ByVal consolidated As String)
    If Not FileExists(consolidated) Then Fail "no consolidated workbook yet: click Consolidate first"
End Sub

' A date setting as YYYY-MM-DD, from a date cell or text written 31/03/2010 or 2010-03-31.
Private Function IsoDate(ByVal name As String) As String
    Dim v As Variant, parts As Variant
    v = ThisWorkbook.Names(name).RefersToRange.Value
    If VarType(v) = vbDate Then
        IsoDate = Format(v, "yyyy-mm-dd")
        Exit Function
    End If
    v = Trim$(CStr(v))
    parts = Split(v, "/")
    If UBound(parts) = 2 Then
        IsoDate = Right$("000" & parts(2), 4) & "-" & Right$("0" & parts(1), 2) & "-" & Right$("0" & parts(0), 2)
    ElseIf v Like "####-##-##" Then
        IsoDate = v
    Else
        Fail "'" & Label(name) & "' is not a date: '" & v & "' (use 31/03/2010)"
    End If
End Function

Private Function Addresses(ByVal text As String) As Collection
    Dim part As Variant, found As Collection
    Set found = New Collection
    For Each part In Split(Replace(text, ",", ";"), ";")
        If Trim$(part) <> "" Then found.Add Trim$(part)
    Next
    Set Addresses = found
End Function

Private Function AbsPath(ByVal path As String) As String
    If path = "" Then Exit Function
    If Left$(path, 2) = "~/" Or Left$(path, 2) = "~\" Then
        If IsWindows() Then path = Environ("USERPROFILE") & Mid$(path, 2) Else path = Environ("HOME") & Mid$(path, 2)
    End If
    If Left$(path, 1) = "/" Or Left$(path, 1) = "\" Or Mid$(path, 2, 1) = ":" Then
        AbsPath = path
    Else
        AbsPath = ThisWorkbook.Path & Sep() & path
    End If
End Function

Private Function FileExists(ByVal path As String) As Boolean
    On Error Resume Next
    If path <> "" Then FileExists = ((GetAttr(path) And vbDirectory) = 0)
End Function

Private Function FolderExists(ByVal path As String) As Boolean
    On Error Resume Next
    If path <> "" Then FolderExists = ((GetAttr(path) And vbDirectory) = vbDirectory)
End Function

Private Sub MakeFolder(ByVal path As String)
    Dim parent As String, cut As Long
    If FolderExists(path) Then Exit Sub
    cut = InStrRev(path, Sep())
    If cut > 1 Then
        parent = Left$(path, cut - 1)
        If Right$(parent, 1) <> ":" Then MakeFolder parent
    End If
    MkDir path
End Sub

Private Sub WriteIssues(ByVal issues As Collection)
    Dim sheet As Object, rows() As Variant, links() As Variant, issue As Variant, r As Long, c As Long
    Dim target As String, cell As String, fields As Variant
    fields = Array("severity", "code", "file", "sheet", "cell", "message")
    Set sheet = ThisWorkbook.Worksheets("Data issues")
    sheet.Cells.ClearContents
    sheet.Range("A1:G1").Value = Array("Severity", "Problem", "File", "Sheet", "Cell", "What is wrong", "Go to")
    If issues.Count = 0 Then Exit Sub
    ReDim rows(1 To issues.Count, 1 To 6)
    ReDim links(1 To issues.Count, 1 To 1)
    r = 0
    For Each issue In issues
        r = r + 1
        For c = 1 To 6
            rows(r, c) = CStr(JItem(issue, CStr(fields(c - 1))))
        Next
        cell = rows(r, 5)
        If cell <> "" And UCase$(Left$(cell, 1)) Like "[A-Z]" Then
            target = rows(r, 3) & "#'" & rows(r, 4) & "'!" & cell
        Else
            target = rows(r, 3)
        End If
        links(r, 1) = "=HYPERLINK(""" & Replace(target, """", """""") & """,""open"")"
    Next
    ' Text format first: a value a lead typed that starts with "=" stays text.
    sheet.Range(sheet.Cells(2, 1), sheet.Cells(r + 1, 6)).NumberFormat = "@"
    sheet.Range(sheet.Cells(2, 1), sheet.Cells(r + 1, 6)).Value = rows
    sheet.Range(sheet.Cells(2, 7), sheet.Cells(r + 1, 7)).Formula = links
End Sub

' The Returns sheet: one row a lead, as the tracker lists them (planbook.excel.RETURNS_COLUMNS).
Private Sub WriteReturns(ByVal leads As Collection)
    Dim sheet As Object, rows() As Variant, lead As Variant, r As Long, c As Long, fields As Variant, v As Variant
    fields = Array("lead", "state", "file", "modified", "updated", "errors")
    Set sheet = ThisWorkbook.Worksheets("Returns")
    sheet.Cells.ClearContents
    sheet.Range("A1:F1").Value = Array("Lead", "Return state", "File", "Modified", "Updated", "Errors")
    If leads.Count = 0 Then Exit Sub
    ReDim rows(1 To leads.Count, 1 To 6)
    r = 0
    For Each lead In leads
        r = r + 1
        For c = 1 To 6
            v = JItem(lead, CStr(fields(c - 1)))
            If IsNull(v) Then v = ""
            If c <= 4 Then rows(r, c) = CStr(v) Else rows(r, c) = v
        Next
    Next
    ' Text format first: a name typed "=..." stays text, and the modified time is not reread as a date.
    sheet.Range(sheet.Cells(2, 1), sheet.Cells(r + 1, 4)).NumberFormat = "@"
    sheet.Range(sheet.Cells(2, 1), sheet.Cells(r + 1, 6)).Value = rows
End Sub

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

Private Function JNumber(ByVal obj As Collection, ByVal key As String) As Double
    Dim v As Variant
    v = JItem(obj, key)
    If Not IsNull(v) Then JNumber = v
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
