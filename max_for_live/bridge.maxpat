{
	"patcher": {
		"fileversion": 1,
		"appversion": {
			"major": 8,
			"minor": 6,
			"revision": 0,
			"architecture": "x64",
			"modernui": 1
		},
		"classnamespace": "box",
		"rect": [
			40.0,
			80.0,
			1400.0,
			900.0
		],
		"openrect": [
			0.0,
			0.0,
			610.0,
			169.0
		],
		"openinpresentation": 1,
		"default_fontsize": 10.0,
		"default_fontface": 0,
		"default_fontname": "Arial",
		"gridonopen": 1,
		"gridsize": [
			8.0,
			8.0
		],
		"gridsnaponopen": 1,
		"toolbarvisible": 1,
		"boxanimatetime": 200,
		"enablehscroll": 1,
		"enablevscroll": 1,
		"devicewidth": 0.0,
		"description": "bridge: restyle audio with diffusion models over OSC (stream, clip and one-shot modes)",
		"digest": "",
		"tags": "",
		"style": "",
		"subpatcher_template": "",
		"boxes": [
			{
				"box": {
					"id": "obj-udpsend",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						40.0,
						620.0,
						168.0,
						22.0
					],
					"text": "udpsend 127.0.0.1 9000"
				}
			},
			{
				"box": {
					"id": "obj-udpreceive",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						40.0,
						40.0,
						182.0,
						22.0
					],
					"text": "udpreceive 9001 @defer 1"
				}
			},
			{
				"box": {
					"id": "obj-route-replies",
					"maxclass": "newobj",
					"numinlets": 36,
					"numoutlets": 36,
					"outlettype": [
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						""
					],
					"patching_rect": [
						40.0,
						80.0,
						1600.0,
						22.0
					],
					"text": "route /bridge/audio/out /bridge/stream/opened /bridge/stream/closed /bridge/stream/gap /bridge/stream/late /bridge/stream/status /bridge/latency /bridge/file/progress /bridge/file/done /bridge/generate/done /bridge/pair/done /bridge/welcome /bridge/pong /bridge/info/version /bridge/info/provider /bridge/info/model /bridge/info/preset /bridge/info/preset/current /bridge/info/param /bridge/info/files /bridge/info/latency /bridge/info/end /bridge/status /bridge/param /bridge/preset/loaded /bridge/preset/changed /bridge/listening /bridge/unlistened /bridge/model/loaded /bridge/synced /bridge/midi/learning /bridge/midi/learned /bridge/midi/mapped /bridge/midi/unmapped /bridge/error"
				}
			},
			{
				"box": {
					"id": "obj-unrouted",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						1650.0,
						120.0,
						161.0,
						22.0
					],
					"text": "print bridge-unrouted"
				}
			},
			{
				"box": {
					"id": "obj-js-stream",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 4,
					"outlettype": [
						"",
						"",
						"",
						""
					],
					"patching_rect": [
						40.0,
						460.0,
						320.0,
						22.0
					],
					"text": "js bridge_stream.js"
				}
			},
			{
				"box": {
					"id": "obj-js-control",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 3,
					"outlettype": [
						"",
						"",
						""
					],
					"patching_rect": [
						480.0,
						460.0,
						160.0,
						22.0
					],
					"text": "js bridge_control.js"
				}
			},
			{
				"box": {
					"id": "obj-js-clip",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 3,
					"outlettype": [
						"",
						"",
						""
					],
					"patching_rect": [
						900.0,
						460.0,
						160.0,
						22.0
					],
					"text": "js bridge_clip.js"
				}
			},
			{
				"box": {
					"id": "obj-pre-on-audio",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						40.0,
						150.0,
						126.0,
						22.0
					],
					"text": "prepend on_audio"
				}
			},
			{
				"box": {
					"id": "obj-pre-on-opened",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						86.0,
						176.0,
						133.0,
						22.0
					],
					"text": "prepend on_opened"
				}
			},
			{
				"box": {
					"id": "obj-pre-on-closed",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						132.0,
						202.0,
						133.0,
						22.0
					],
					"text": "prepend on_closed"
				}
			},
			{
				"box": {
					"id": "obj-pre-on-gap",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						178.0,
						228.0,
						112.0,
						22.0
					],
					"text": "prepend on_gap"
				}
			},
			{
				"box": {
					"id": "obj-pre-on-late",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						224.0,
						254.0,
						119.0,
						22.0
					],
					"text": "prepend on_late"
				}
			},
			{
				"box": {
					"id": "obj-pre-on-streamstatus",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						270.0,
						280.0,
						175.0,
						22.0
					],
					"text": "prepend on_streamstatus"
				}
			},
			{
				"box": {
					"id": "obj-pre-on-latency",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						316.0,
						150.0,
						140.0,
						22.0
					],
					"text": "prepend on_latency"
				}
			},
			{
				"box": {
					"id": "obj-pre-on-progress",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						362.0,
						176.0,
						147.0,
						22.0
					],
					"text": "prepend on_progress"
				}
			},
			{
				"box": {
					"id": "obj-pre-on-filedone",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						408.0,
						202.0,
						147.0,
						22.0
					],
					"text": "prepend on_filedone"
				}
			},
			{
				"box": {
					"id": "obj-pre-on-gendone",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						454.0,
						228.0,
						140.0,
						22.0
					],
					"text": "prepend on_gendone"
				}
			},
			{
				"box": {
					"id": "obj-pre-on-pairdone",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						500.0,
						254.0,
						147.0,
						22.0
					],
					"text": "prepend on_pairdone"
				}
			},
			{
				"box": {
					"id": "obj-pre-on-welcome",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						546.0,
						280.0,
						140.0,
						22.0
					],
					"text": "prepend on_welcome"
				}
			},
			{
				"box": {
					"id": "obj-pre-on-pong",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						592.0,
						150.0,
						119.0,
						22.0
					],
					"text": "prepend on_pong"
				}
			},
			{
				"box": {
					"id": "obj-pre-on-infoversion",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						638.0,
						176.0,
						168.0,
						22.0
					],
					"text": "prepend on_infoversion"
				}
			},
			{
				"box": {
					"id": "obj-pre-on-infoprovider",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						684.0,
						202.0,
						175.0,
						22.0
					],
					"text": "prepend on_infoprovider"
				}
			},
			{
				"box": {
					"id": "obj-pre-on-infomodel",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						730.0,
						228.0,
						154.0,
						22.0
					],
					"text": "prepend on_infomodel"
				}
			},
			{
				"box": {
					"id": "obj-pre-on-infopreset",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						776.0,
						254.0,
						161.0,
						22.0
					],
					"text": "prepend on_infopreset"
				}
			},
			{
				"box": {
					"id": "obj-pre-on-infopresetcurrent",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						822.0,
						280.0,
						210.0,
						22.0
					],
					"text": "prepend on_infopresetcurrent"
				}
			},
			{
				"box": {
					"id": "obj-pre-on-infoparam",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						868.0,
						150.0,
						154.0,
						22.0
					],
					"text": "prepend on_infoparam"
				}
			},
			{
				"box": {
					"id": "obj-pre-on-infofiles",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						914.0,
						176.0,
						154.0,
						22.0
					],
					"text": "prepend on_infofiles"
				}
			},
			{
				"box": {
					"id": "obj-pre-on-infolatency",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						960.0,
						202.0,
						168.0,
						22.0
					],
					"text": "prepend on_infolatency"
				}
			},
			{
				"box": {
					"id": "obj-pre-on-infoend",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1006.0,
						228.0,
						140.0,
						22.0
					],
					"text": "prepend on_infoend"
				}
			},
			{
				"box": {
					"id": "obj-pre-on-status",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1052.0,
						254.0,
						133.0,
						22.0
					],
					"text": "prepend on_status"
				}
			},
			{
				"box": {
					"id": "obj-pre-on-param",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1098.0,
						280.0,
						126.0,
						22.0
					],
					"text": "prepend on_param"
				}
			},
			{
				"box": {
					"id": "obj-pre-on-presetloaded",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1144.0,
						150.0,
						175.0,
						22.0
					],
					"text": "prepend on_presetloaded"
				}
			},
			{
				"box": {
					"id": "obj-pre-on-presetchanged",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1190.0,
						176.0,
						182.0,
						22.0
					],
					"text": "prepend on_presetchanged"
				}
			},
			{
				"box": {
					"id": "obj-pre-on-listening",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1236.0,
						202.0,
						154.0,
						22.0
					],
					"text": "prepend on_listening"
				}
			},
			{
				"box": {
					"id": "obj-pre-on-unlistened",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1282.0,
						228.0,
						161.0,
						22.0
					],
					"text": "prepend on_unlistened"
				}
			},
			{
				"box": {
					"id": "obj-pre-on-modelloaded",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1328.0,
						254.0,
						168.0,
						22.0
					],
					"text": "prepend on_modelloaded"
				}
			},
			{
				"box": {
					"id": "obj-pre-on-synced",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1374.0,
						280.0,
						133.0,
						22.0
					],
					"text": "prepend on_synced"
				}
			},
			{
				"box": {
					"id": "obj-pre-on-midilearning",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1420.0,
						150.0,
						175.0,
						22.0
					],
					"text": "prepend on_midilearning"
				}
			},
			{
				"box": {
					"id": "obj-pre-on-midilearned",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1466.0,
						176.0,
						168.0,
						22.0
					],
					"text": "prepend on_midilearned"
				}
			},
			{
				"box": {
					"id": "obj-pre-on-midimapped",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1512.0,
						202.0,
						161.0,
						22.0
					],
					"text": "prepend on_midimapped"
				}
			},
			{
				"box": {
					"id": "obj-pre-on-midiunmapped",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1558.0,
						228.0,
						175.0,
						22.0
					],
					"text": "prepend on_midiunmapped"
				}
			},
			{
				"box": {
					"id": "obj-pre-on-error",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1604.0,
						254.0,
						126.0,
						22.0
					],
					"text": "prepend on_error"
				}
			},
			{
				"box": {
					"id": "obj-thisdevice",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 3,
					"outlettype": [
						"bang",
						"int",
						"int"
					],
					"patching_rect": [
						480.0,
						330.0,
						119.0,
						22.0
					],
					"text": "live.thisdevice"
				}
			},
			{
				"box": {
					"id": "obj-init",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 4,
					"outlettype": [
						"bang",
						"bang",
						"bang",
						"bang"
					],
					"patching_rect": [
						480.0,
						360.0,
						77.0,
						22.0
					],
					"text": "t b b b b"
				}
			},
			{
				"box": {
					"id": "obj-ready-control",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						480.0,
						400.0,
						49.0,
						22.0
					],
					"text": "ready"
				}
			},
			{
				"box": {
					"id": "obj-ready-stream",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						530.0,
						400.0,
						49.0,
						22.0
					],
					"text": "ready"
				}
			},
			{
				"box": {
					"id": "obj-ready-clip",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						580.0,
						400.0,
						49.0,
						22.0
					],
					"text": "ready"
				}
			},
			{
				"box": {
					"id": "obj-dspstate",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 4,
					"outlettype": [
						"int",
						"float",
						"int",
						"int"
					],
					"patching_rect": [
						640.0,
						400.0,
						77.0,
						22.0
					],
					"text": "dspstate~"
				}
			},
			{
				"box": {
					"id": "obj-pre-dsp",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						640.0,
						430.0,
						91.0,
						22.0
					],
					"text": "prepend dsp"
				}
			},
			{
				"box": {
					"id": "obj-pre-samplerate",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						730.0,
						430.0,
						140.0,
						22.0
					],
					"text": "prepend samplerate"
				}
			},
			{
				"box": {
					"id": "obj-in",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"signal",
						"signal"
					],
					"patching_rect": [
						40.0,
						700.0,
						70.0,
						22.0
					],
					"text": "adc~ 1 2"
				}
			},
			{
				"box": {
					"id": "obj-jit-metro",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"bang"
					],
					"patching_rect": [
						200.0,
						640.0,
						133.0,
						22.0
					],
					"text": "metro 5 @active 1"
				}
			},
			{
				"box": {
					"id": "obj-jit-tick",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"bang",
						"bang"
					],
					"patching_rect": [
						200.0,
						670.0,
						49.0,
						22.0
					],
					"text": "t b b"
				}
			},
			{
				"box": {
					"id": "obj-catch",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"jit_matrix",
						""
					],
					"patching_rect": [
						40.0,
						740.0,
						140.0,
						22.0
					],
					"text": "jit.catch~ 2 @mode 0"
				}
			},
			{
				"box": {
					"id": "obj-jit-gate",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						40.0,
						780.0,
						70.0,
						22.0
					],
					"text": "gate 1 0"
				}
			},
			{
				"box": {
					"id": "obj-netsend",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						40.0,
						810.0,
						220.0,
						22.0
					],
					"text": "jit.net.send @ip 127.0.0.1 @port 9002"
				}
			},
			{
				"box": {
					"id": "obj-start",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"bang",
						"bang"
					],
					"patching_rect": [
						200.0,
						700.0,
						63.0,
						22.0
					],
					"text": "onebang"
				}
			},
			{
				"box": {
					"id": "obj-start-t",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 3,
					"outlettype": [
						"bang",
						"bang",
						"int"
					],
					"patching_rect": [
						200.0,
						730.0,
						63.0,
						22.0
					],
					"text": "t b b 1"
				}
			},
			{
				"box": {
					"id": "obj-prime",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"jit_matrix",
						""
					],
					"patching_rect": [
						300.0,
						760.0,
						160.0,
						22.0
					],
					"text": "jit.matrix 2 float32 2646"
				}
			},
			{
				"box": {
					"id": "obj-started",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						200.0,
						790.0,
						63.0,
						22.0
					],
					"text": "started"
				}
			},
			{
				"box": {
					"id": "obj-netrecv",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 3,
					"outlettype": [
						"jit_matrix",
						"",
						""
					],
					"patching_rect": [
						480.0,
						700.0,
						140.0,
						22.0
					],
					"text": "jit.net.recv @port 0"
				}
			},
			{
				"box": {
					"id": "obj-release",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 3,
					"outlettype": [
						"signal",
						"signal",
						""
					],
					"patching_rect": [
						480.0,
						760.0,
						200.0,
						22.0
					],
					"text": "jit.release~ 2 @mode 0 @latency 60"
				}
			},
			{
				"box": {
					"id": "obj-pre-jit",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						640.0,
						730.0,
						91.0,
						22.0
					],
					"text": "prepend jit"
				}
			},
			{
				"box": {
					"id": "obj-pre-recv",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						760.0,
						730.0,
						126.0,
						22.0
					],
					"text": "prepend recvdump"
				}
			},
			{
				"box": {
					"id": "obj-pre-send",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						880.0,
						730.0,
						126.0,
						22.0
					],
					"text": "prepend senddump"
				}
			},
			{
				"box": {
					"id": "obj-route-jit",
					"maxclass": "newobj",
					"numinlets": 10,
					"numoutlets": 10,
					"outlettype": [
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						""
					],
					"patching_rect": [
						40.0,
						600.0,
						520.0,
						22.0
					],
					"text": "route net netattr recvattr arm primedim releaseattr gate gain drydelay"
				}
			},
			{
				"box": {
					"id": "obj-pre-dim",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						300.0,
						630.0,
						91.0,
						22.0
					],
					"text": "prepend dim"
				}
			},
			{
				"box": {
					"id": "obj-gain",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"signal",
						"bang"
					],
					"patching_rect": [
						640.0,
						640.0,
						49.0,
						22.0
					],
					"text": "line~"
				}
			},
			{
				"box": {
					"id": "obj-print-jit",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						580.0,
						630.0,
						126.0,
						22.0
					],
					"text": "print bridge-jit"
				}
			},
			{
				"box": {
					"id": "obj-dry-g",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						760.0,
						670.0,
						49.0,
						22.0
					],
					"text": "!-~ 1"
				}
			},
			{
				"box": {
					"id": "obj-dry-delay-1",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						40.0,
						870.0,
						120.0,
						22.0
					],
					"text": "delay~ 480000 2646"
				}
			},
			{
				"box": {
					"id": "obj-wet-1",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						480.0,
						800.0,
						40.0,
						22.0
					],
					"text": "*~"
				}
			},
			{
				"box": {
					"id": "obj-dry-1",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						40.0,
						900.0,
						40.0,
						22.0
					],
					"text": "*~"
				}
			},
			{
				"box": {
					"id": "obj-mix-1",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						300.0,
						830.0,
						40.0,
						22.0
					],
					"text": "+~"
				}
			},
			{
				"box": {
					"id": "obj-dry-delay-2",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						170.0,
						870.0,
						120.0,
						22.0
					],
					"text": "delay~ 480000 2646"
				}
			},
			{
				"box": {
					"id": "obj-wet-2",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						560.0,
						800.0,
						40.0,
						22.0
					],
					"text": "*~"
				}
			},
			{
				"box": {
					"id": "obj-dry-2",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						170.0,
						900.0,
						40.0,
						22.0
					],
					"text": "*~"
				}
			},
			{
				"box": {
					"id": "obj-mix-2",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						430.0,
						830.0,
						40.0,
						22.0
					],
					"text": "+~"
				}
			},
			{
				"box": {
					"id": "obj-buf-rec",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"float",
						"bang"
					],
					"patching_rect": [
						560.0,
						1300.0,
						189.0,
						22.0
					],
					"text": "buffer~ ---bridge_rec 1 2"
				}
			},
			{
				"box": {
					"id": "obj-buf-clip",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"float",
						"bang"
					],
					"patching_rect": [
						760.0,
						1300.0,
						196.0,
						22.0
					],
					"text": "buffer~ ---bridge_clip 1 2"
				}
			},
			{
				"box": {
					"id": "obj-buf-shot",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"float",
						"bang"
					],
					"patching_rect": [
						960.0,
						960.0,
						196.0,
						22.0
					],
					"text": "buffer~ ---bridge_shot 1 1"
				}
			},
			{
				"box": {
					"id": "obj-clip-phasor",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						560.0,
						1000.0,
						196.0,
						22.0
					],
					"text": "phasor~ 7680 ticks @lock 1"
				}
			},
			{
				"box": {
					"id": "obj-clip-freq",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						560.0,
						970.0,
						140.0,
						22.0
					],
					"text": "frequency $1 ticks"
				}
			},
			{
				"box": {
					"id": "obj-clip-nbars",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						560.0,
						1030.0,
						42.0,
						22.0
					],
					"text": "*~ 4"
				}
			},
			{
				"box": {
					"id": "obj-clip-bareps",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						480.0,
						1045.0,
						112.0,
						22.0
					],
					"text": "+~ 0.000000001"
				}
			},
			{
				"box": {
					"id": "obj-clip-barfrac",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						560.0,
						1060.0,
						49.0,
						22.0
					],
					"text": "%~ 1."
				}
			},
			{
				"box": {
					"id": "obj-clip-bardelta",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						560.0,
						1090.0,
						56.0,
						22.0
					],
					"text": "delta~"
				}
			},
			{
				"box": {
					"id": "obj-clip-barwrap",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						560.0,
						1120.0,
						49.0,
						22.0
					],
					"text": "<~ 0."
				}
			},
			{
				"box": {
					"id": "obj-clip-pdelta",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						640.0,
						1030.0,
						56.0,
						22.0
					],
					"text": "delta~"
				}
			},
			{
				"box": {
					"id": "obj-clip-moving",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						640.0,
						1060.0,
						56.0,
						22.0
					],
					"text": "!=~ 0."
				}
			},
			{
				"box": {
					"id": "obj-clip-movedelta",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						640.0,
						1090.0,
						56.0,
						22.0
					],
					"text": "delta~"
				}
			},
			{
				"box": {
					"id": "obj-clip-started",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						640.0,
						1120.0,
						49.0,
						22.0
					],
					"text": ">~ 0."
				}
			},
			{
				"box": {
					"id": "obj-clip-barline",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						560.0,
						1150.0,
						70.0,
						22.0
					],
					"text": "maximum~"
				}
			},
			{
				"box": {
					"id": "obj-clip-arm",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						720.0,
						1120.0,
						56.0,
						22.0
					],
					"text": "sig~ 0"
				}
			},
			{
				"box": {
					"id": "obj-clip-start",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						560.0,
						1180.0,
						40.0,
						22.0
					],
					"text": "*~"
				}
			},
			{
				"box": {
					"id": "obj-clip-anchor",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						640.0,
						1210.0,
						70.0,
						22.0
					],
					"text": "sah~ 0.5"
				}
			},
			{
				"box": {
					"id": "obj-clip-rel",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						640.0,
						1240.0,
						40.0,
						22.0
					],
					"text": "-~"
				}
			},
			{
				"box": {
					"id": "obj-clip-rel1",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						640.0,
						1270.0,
						112.0,
						22.0
					],
					"text": "+~ 1.000000001"
				}
			},
			{
				"box": {
					"id": "obj-clip-r",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						640.0,
						1300.0,
						49.0,
						22.0
					],
					"text": "%~ 1."
				}
			},
			{
				"box": {
					"id": "obj-clip-rdelta",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						720.0,
						1300.0,
						56.0,
						22.0
					],
					"text": "delta~"
				}
			},
			{
				"box": {
					"id": "obj-clip-rwrap",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						720.0,
						1330.0,
						49.0,
						22.0
					],
					"text": "<~ 0."
				}
			},
			{
				"box": {
					"id": "obj-clip-trig",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						720.0,
						1360.0,
						70.0,
						22.0
					],
					"text": "maximum~"
				}
			},
			{
				"box": {
					"id": "obj-clip-gate",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						720.0,
						1390.0,
						70.0,
						22.0
					],
					"text": "sah~ 0.5"
				}
			},
			{
				"box": {
					"id": "obj-clip-recidx",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						560.0,
						1420.0,
						49.0,
						22.0
					],
					"text": "*~ 0."
				}
			},
			{
				"box": {
					"id": "obj-clip-recgated",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						560.0,
						1480.0,
						40.0,
						22.0
					],
					"text": "*~"
				}
			},
			{
				"box": {
					"id": "obj-clip-gate1",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						640.0,
						1480.0,
						49.0,
						22.0
					],
					"text": "-~ 1."
				}
			},
			{
				"box": {
					"id": "obj-clip-recindex",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						560.0,
						1510.0,
						40.0,
						22.0
					],
					"text": "+~"
				}
			},
			{
				"box": {
					"id": "obj-clip-poke-1",
					"maxclass": "newobj",
					"numinlets": 3,
					"numoutlets": 0,
					"patching_rect": [
						560.0,
						1540.0,
						161.0,
						22.0
					],
					"text": "poke~ ---bridge_rec 1"
				}
			},
			{
				"box": {
					"id": "obj-clip-poke-2",
					"maxclass": "newobj",
					"numinlets": 3,
					"numoutlets": 0,
					"patching_rect": [
						650.0,
						1540.0,
						161.0,
						22.0
					],
					"text": "poke~ ---bridge_rec 2"
				}
			},
			{
				"box": {
					"id": "obj-clip-recedge",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"bang",
						"bang"
					],
					"patching_rect": [
						800.0,
						1420.0,
						49.0,
						22.0
					],
					"text": "edge~"
				}
			},
			{
				"box": {
					"id": "obj-clip-playsig",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						880.0,
						1330.0,
						56.0,
						22.0
					],
					"text": "sig~ 0"
				}
			},
			{
				"box": {
					"id": "obj-clip-playgate",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						880.0,
						1390.0,
						70.0,
						22.0
					],
					"text": "sah~ 0.5"
				}
			},
			{
				"box": {
					"id": "obj-clip-playidx",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						760.0,
						1420.0,
						49.0,
						22.0
					],
					"text": "*~ 0."
				}
			},
			{
				"box": {
					"id": "obj-clip-index-1",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						760.0,
						1480.0,
						175.0,
						22.0
					],
					"text": "index~ ---bridge_clip 1"
				}
			},
			{
				"box": {
					"id": "obj-clip-out-1",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						760.0,
						1510.0,
						40.0,
						22.0
					],
					"text": "*~"
				}
			},
			{
				"box": {
					"id": "obj-clip-index-2",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						850.0,
						1480.0,
						175.0,
						22.0
					],
					"text": "index~ ---bridge_clip 2"
				}
			},
			{
				"box": {
					"id": "obj-clip-out-2",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						850.0,
						1510.0,
						40.0,
						22.0
					],
					"text": "*~"
				}
			},
			{
				"box": {
					"id": "obj-clip-playedge",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"bang",
						"bang"
					],
					"patching_rect": [
						960.0,
						1420.0,
						49.0,
						22.0
					],
					"text": "edge~"
				}
			},
			{
				"box": {
					"id": "obj-msg-recstarted",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						800.0,
						1460.0,
						84.0,
						22.0
					],
					"text": "recstarted"
				}
			},
			{
				"box": {
					"id": "obj-msg-recended",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						880.0,
						1460.0,
						70.0,
						22.0
					],
					"text": "recended"
				}
			},
			{
				"box": {
					"id": "obj-msg-playstarted",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						960.0,
						1460.0,
						91.0,
						22.0
					],
					"text": "playstarted"
				}
			},
			{
				"box": {
					"id": "obj-msg-playstopped",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1040.0,
						1460.0,
						91.0,
						22.0
					],
					"text": "playstopped"
				}
			},
			{
				"box": {
					"id": "obj-shot-speed",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						960.0,
						730.0,
						56.0,
						22.0
					],
					"text": "sig~ 0"
				}
			},
			{
				"box": {
					"id": "obj-groove-shot",
					"maxclass": "newobj",
					"numinlets": 3,
					"numoutlets": 2,
					"outlettype": [
						"signal",
						"signal"
					],
					"patching_rect": [
						960.0,
						760.0,
						238.0,
						22.0
					],
					"text": "groove~ ---bridge_shot 1 @loop 0"
				}
			},
			{
				"box": {
					"id": "obj-route-audio",
					"maxclass": "newobj",
					"numinlets": 12,
					"numoutlets": 12,
					"outlettype": [
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						""
					],
					"patching_rect": [
						900.0,
						520.0,
						520.0,
						22.0
					],
					"text": "route recbuf clipbuf shotbuf shotpos shotspeed cliparm clipgo clipticks clipbars cliplen clipplaylen"
				}
			},
			{
				"box": {
					"id": "obj-print-audio",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						1330.0,
						550.0,
						140.0,
						22.0
					],
					"text": "print bridge-audio"
				}
			},
			{
				"box": {
					"id": "obj-loaded-clip",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						760.0,
						1340.0,
						91.0,
						22.0
					],
					"text": "loaded clip"
				}
			},
			{
				"box": {
					"id": "obj-loaded-shot",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						960.0,
						1000.0,
						91.0,
						22.0
					],
					"text": "loaded shot"
				}
			},
			{
				"box": {
					"id": "obj-sum-1a",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						300.0,
						820.0,
						40.0,
						22.0
					],
					"text": "+~"
				}
			},
			{
				"box": {
					"id": "obj-sum-1b",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						300.0,
						850.0,
						40.0,
						22.0
					],
					"text": "+~"
				}
			},
			{
				"box": {
					"id": "obj-sum-2a",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						430.0,
						820.0,
						40.0,
						22.0
					],
					"text": "+~"
				}
			},
			{
				"box": {
					"id": "obj-sum-2b",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					],
					"patching_rect": [
						430.0,
						850.0,
						40.0,
						22.0
					],
					"text": "+~"
				}
			},
			{
				"box": {
					"id": "obj-out",
					"maxclass": "ezdac~",
					"numinlets": 2,
					"numoutlets": 0,
					"patching_rect": [
						300.0,
						890.0,
						45.0,
						45.0
					],
					"presentation": 1,
					"presentation_rect": [
						566.0,
						90.0,
						40.0,
						20.0
					]
				}
			},
			{
				"box": {
					"id": "obj-transport",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 9,
					"outlettype": [
						"int",
						"int",
						"float",
						"float",
						"float",
						"",
						"int",
						"float",
						""
					],
					"patching_rect": [
						1180.0,
						390.0,
						140.0,
						22.0
					],
					"text": "transport"
				}
			},
			{
				"box": {
					"id": "obj-pre-bpm",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1180.0,
						425.0,
						91.0,
						22.0
					],
					"text": "prepend bpm"
				}
			},
			{
				"box": {
					"id": "obj-pre-timesig",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1270.0,
						425.0,
						119.0,
						22.0
					],
					"text": "prepend timesig"
				}
			},
			{
				"box": {
					"id": "obj-latency-defer",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						40.0,
						520.0,
						70.0,
						22.0
					],
					"text": "deferlow"
				}
			},
			{
				"box": {
					"id": "obj-thispatcher",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						40.0,
						550.0,
						91.0,
						22.0
					],
					"text": "thispatcher",
					"save": [
						"#N",
						"thispatcher",
						";",
						"#Q",
						"end",
						";"
					]
				}
			},
			{
				"box": {
					"id": "obj-route-ui",
					"maxclass": "newobj",
					"numinlets": 8,
					"numoutlets": 8,
					"outlettype": [
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						""
					],
					"patching_rect": [
						480.0,
						520.0,
						360.0,
						22.0
					],
					"text": "route status presetmenu targetmenu morphmenu genmenu dial busy"
				}
			},
			{
				"box": {
					"id": "obj-print-ui",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						860.0,
						550.0,
						119.0,
						22.0
					],
					"text": "print bridge-ui"
				}
			},
			{
				"box": {
					"id": "obj-set-status",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1450.0,
						640.0,
						91.0,
						22.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-status",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1450.0,
						690.0,
						606.0,
						22.0
					],
					"text": "",
					"ignoreclick": 1,
					"presentation": 1,
					"presentation_rect": [
						2.0,
						2.0,
						606.0,
						18.0
					]
				}
			},
			{
				"box": {
					"id": "obj-busy",
					"maxclass": "flonum",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"bang"
					],
					"patching_rect": [
						480.0,
						620.0,
						36.0,
						22.0
					],
					"ignoreclick": 1,
					"parameter_enable": 0,
					"format": 6,
					"numdecimalplaces": 1,
					"presentation": 1,
					"presentation_rect": [
						268.0,
						131.0,
						36.0,
						17.0
					]
				}
			},
			{
				"box": {
					"id": "obj-label-busy",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						1500.0,
						472.0,
						38.0,
						20.0
					],
					"text": "busy %",
					"presentation": 1,
					"presentation_rect": [
						230.0,
						132.0,
						38.0,
						16.0
					]
				}
			},
			{
				"box": {
					"id": "obj-menu-preset-label",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						1500.0,
						496.0,
						56.0,
						20.0
					],
					"text": "preset",
					"presentation": 1,
					"presentation_rect": [
						110.0,
						22.0,
						56.0,
						16.0
					]
				}
			},
			{
				"box": {
					"id": "obj-menu-preset",
					"maxclass": "umenu",
					"numinlets": 1,
					"numoutlets": 3,
					"outlettype": [
						"int",
						"",
						""
					],
					"patching_rect": [
						1700.0,
						40.0,
						150.0,
						22.0
					],
					"items": [],
					"parameter_enable": 0,
					"presentation": 1,
					"presentation_rect": [
						166.0,
						22.0,
						130.0,
						20.0
					]
				}
			},
			{
				"box": {
					"id": "obj-prepend-preset",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1700.0,
						70.0,
						112.0,
						22.0
					],
					"text": "prepend preset"
				}
			},
			{
				"box": {
					"id": "obj-menu-target-label",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						1500.0,
						568.0,
						56.0,
						20.0
					],
					"text": "target",
					"presentation": 1,
					"presentation_rect": [
						110.0,
						44.0,
						56.0,
						16.0
					]
				}
			},
			{
				"box": {
					"id": "obj-menu-target",
					"maxclass": "umenu",
					"numinlets": 1,
					"numoutlets": 3,
					"outlettype": [
						"int",
						"",
						""
					],
					"patching_rect": [
						1860.0,
						40.0,
						150.0,
						22.0
					],
					"items": [],
					"parameter_enable": 0,
					"presentation": 1,
					"presentation_rect": [
						166.0,
						44.0,
						130.0,
						20.0
					]
				}
			},
			{
				"box": {
					"id": "obj-prepend-target",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1860.0,
						70.0,
						112.0,
						22.0
					],
					"text": "prepend target"
				}
			},
			{
				"box": {
					"id": "obj-menu-morph-label",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						1500.0,
						40.0,
						56.0,
						20.0
					],
					"text": "morph with",
					"presentation": 1,
					"presentation_rect": [
						110.0,
						66.0,
						56.0,
						16.0
					]
				}
			},
			{
				"box": {
					"id": "obj-menu-morph",
					"maxclass": "umenu",
					"numinlets": 1,
					"numoutlets": 3,
					"outlettype": [
						"int",
						"",
						""
					],
					"patching_rect": [
						2020.0,
						40.0,
						150.0,
						22.0
					],
					"items": [],
					"parameter_enable": 0,
					"presentation": 1,
					"presentation_rect": [
						166.0,
						66.0,
						130.0,
						20.0
					]
				}
			},
			{
				"box": {
					"id": "obj-prepend-morphwith",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						2020.0,
						70.0,
						133.0,
						22.0
					],
					"text": "prepend morphwith"
				}
			},
			{
				"box": {
					"id": "obj-route-dials",
					"maxclass": "newobj",
					"numinlets": 6,
					"numoutlets": 6,
					"outlettype": [
						"",
						"",
						"",
						"",
						"",
						""
					],
					"patching_rect": [
						480.0,
						560.0,
						260.0,
						22.0
					],
					"text": "route strength steps mix morph seed"
				}
			},
			{
				"box": {
					"id": "obj-dial-strength",
					"maxclass": "live.dial",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"float"
					],
					"patching_rect": [
						1700.0,
						130.0,
						44.0,
						46.0
					],
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Strength",
							"parameter_shortname": "Strength",
							"parameter_type": 0,
							"parameter_mmin": 0.01,
							"parameter_mmax": 1.0,
							"parameter_initial_enable": 0,
							"parameter_unitstyle": 1
						}
					},
					"parameter_enable": 1,
					"varname": "Strength",
					"presentation": 1,
					"presentation_rect": [
						300.0,
						20.0,
						44.0,
						46.0
					]
				}
			},
			{
				"box": {
					"id": "obj-set-dial-strength",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1700.0,
						105.0,
						91.0,
						22.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-param-strength",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1700.0,
						185.0,
						168.0,
						22.0
					],
					"text": "prepend param strength"
				}
			},
			{
				"box": {
					"id": "obj-dial-steps",
					"maxclass": "live.dial",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"float"
					],
					"patching_rect": [
						1860.0,
						130.0,
						44.0,
						46.0
					],
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Steps",
							"parameter_shortname": "Steps",
							"parameter_type": 1,
							"parameter_mmin": 1.0,
							"parameter_mmax": 50.0,
							"parameter_initial_enable": 0,
							"parameter_unitstyle": 0
						}
					},
					"parameter_enable": 1,
					"varname": "Steps",
					"presentation": 1,
					"presentation_rect": [
						346.0,
						20.0,
						44.0,
						46.0
					]
				}
			},
			{
				"box": {
					"id": "obj-set-dial-steps",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1860.0,
						105.0,
						91.0,
						22.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-param-steps",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1860.0,
						185.0,
						147.0,
						22.0
					],
					"text": "prepend param steps"
				}
			},
			{
				"box": {
					"id": "obj-dial-mix",
					"maxclass": "live.dial",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"float"
					],
					"patching_rect": [
						2020.0,
						130.0,
						44.0,
						46.0
					],
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Dry/Wet",
							"parameter_shortname": "Dry/Wet",
							"parameter_type": 0,
							"parameter_mmin": 0.0,
							"parameter_mmax": 1.0,
							"parameter_initial_enable": 0,
							"parameter_unitstyle": 5
						}
					},
					"parameter_enable": 1,
					"varname": "Dry/Wet",
					"presentation": 1,
					"presentation_rect": [
						392.0,
						20.0,
						44.0,
						46.0
					]
				}
			},
			{
				"box": {
					"id": "obj-set-dial-mix",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						2020.0,
						105.0,
						91.0,
						22.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-param-mix",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						2020.0,
						185.0,
						133.0,
						22.0
					],
					"text": "prepend param mix"
				}
			},
			{
				"box": {
					"id": "obj-dial-morph",
					"maxclass": "live.dial",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"float"
					],
					"patching_rect": [
						2180.0,
						130.0,
						44.0,
						46.0
					],
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Morph",
							"parameter_shortname": "Morph",
							"parameter_type": 0,
							"parameter_mmin": 0.0,
							"parameter_mmax": 1.0,
							"parameter_initial_enable": 0,
							"parameter_unitstyle": 5
						}
					},
					"parameter_enable": 1,
					"varname": "Morph",
					"presentation": 1,
					"presentation_rect": [
						300.0,
						66.0,
						44.0,
						46.0
					]
				}
			},
			{
				"box": {
					"id": "obj-set-dial-morph",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						2180.0,
						105.0,
						91.0,
						22.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-param-morph",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						2180.0,
						185.0,
						147.0,
						22.0
					],
					"text": "prepend param morph"
				}
			},
			{
				"box": {
					"id": "obj-dial-seed",
					"maxclass": "live.numbox",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"float"
					],
					"patching_rect": [
						1700.0,
						220.0,
						50.0,
						15.0
					],
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Seed",
							"parameter_shortname": "Seed",
							"parameter_type": 0,
							"parameter_mmin": 0.0,
							"parameter_mmax": 65535.0,
							"parameter_initial_enable": 0,
							"parameter_unitstyle": 0
						}
					},
					"parameter_enable": 1,
					"varname": "Seed",
					"presentation": 1,
					"presentation_rect": [
						346.0,
						90.0,
						50.0,
						15.0
					]
				}
			},
			{
				"box": {
					"id": "obj-set-dial-seed",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1700.0,
						195.0,
						91.0,
						22.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-param-seed",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1700.0,
						275.0,
						140.0,
						22.0
					],
					"text": "prepend param seed"
				}
			},
			{
				"box": {
					"id": "obj-setseed",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1780.0,
						275.0,
						119.0,
						22.0
					],
					"text": "prepend setseed"
				}
			},
			{
				"box": {
					"id": "obj-seed-label",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						1500.0,
						520.0,
						44.0,
						20.0
					],
					"text": "seed",
					"presentation": 1,
					"presentation_rect": [
						346.0,
						72.0,
						44.0,
						16.0
					]
				}
			},
			{
				"box": {
					"id": "obj-print-dials",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						760.0,
						590.0,
						140.0,
						22.0
					],
					"text": "print bridge-dials"
				}
			},
			{
				"box": {
					"id": "obj-stream-on",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						1700.0,
						310.0,
						60.0,
						18.0
					],
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Stream",
							"parameter_shortname": "Stream",
							"parameter_type": 2,
							"parameter_mmin": 0.0,
							"parameter_mmax": 1.0,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_initial": [
								0
							],
							"parameter_initial_enable": 1
						}
					},
					"parameter_enable": 1,
					"varname": "Stream",
					"mode": 1,
					"text": "Stream",
					"texton": "Streaming",
					"presentation": 1,
					"presentation_rect": [
						2.0,
						22.0,
						60.0,
						18.0
					]
				}
			},
			{
				"box": {
					"id": "obj-prepend-stream-stream-on",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1700.0,
						350.0,
						112.0,
						22.0
					],
					"text": "prepend stream"
				}
			},
			{
				"box": {
					"id": "obj-margin",
					"maxclass": "live.numbox",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"float"
					],
					"patching_rect": [
						1860.0,
						310.0,
						40.0,
						15.0
					],
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Margin",
							"parameter_shortname": "Margin",
							"parameter_type": 0,
							"parameter_mmin": 5.0,
							"parameter_mmax": 2000.0,
							"parameter_initial": [
								60.0
							],
							"parameter_initial_enable": 1,
							"parameter_unitstyle": 2
						}
					},
					"parameter_enable": 1,
					"varname": "Margin",
					"presentation": 1,
					"presentation_rect": [
						2.0,
						44.0,
						40.0,
						15.0
					]
				}
			},
			{
				"box": {
					"id": "obj-prepend-playdelay-margin",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1860.0,
						350.0,
						133.0,
						22.0
					],
					"text": "prepend playdelay"
				}
			},
			{
				"box": {
					"id": "obj-reply-port",
					"maxclass": "live.numbox",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"float"
					],
					"patching_rect": [
						2020.0,
						310.0,
						40.0,
						15.0
					],
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Reply port",
							"parameter_shortname": "Reply",
							"parameter_type": 0,
							"parameter_mmin": 0.0,
							"parameter_mmax": 65535.0,
							"parameter_initial": [
								0
							],
							"parameter_initial_enable": 1,
							"parameter_unitstyle": 0
						}
					},
					"parameter_enable": 1,
					"varname": "Reply port",
					"presentation": 1,
					"presentation_rect": [
						2.0,
						62.0,
						40.0,
						15.0
					]
				}
			},
			{
				"box": {
					"id": "obj-prepend-replyport-reply-port",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						2020.0,
						350.0,
						133.0,
						22.0
					],
					"text": "prepend replyport"
				}
			},
			{
				"box": {
					"id": "obj-daemon-port",
					"maxclass": "live.numbox",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"float"
					],
					"patching_rect": [
						2180.0,
						310.0,
						40.0,
						15.0
					],
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Daemon port",
							"parameter_shortname": "Daemon",
							"parameter_type": 0,
							"parameter_mmin": 1024.0,
							"parameter_mmax": 65535.0,
							"parameter_initial": [
								9000
							],
							"parameter_initial_enable": 1,
							"parameter_unitstyle": 0
						}
					},
					"parameter_enable": 1,
					"varname": "Daemon port",
					"presentation": 1,
					"presentation_rect": [
						2.0,
						80.0,
						40.0,
						15.0
					]
				}
			},
			{
				"box": {
					"id": "obj-prepend-daemonport-daemon-port",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						2180.0,
						350.0,
						140.0,
						22.0
					],
					"text": "prepend daemonport"
				}
			},
			{
				"box": {
					"id": "obj-bars",
					"maxclass": "live.numbox",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"float"
					],
					"patching_rect": [
						1700.0,
						400.0,
						30.0,
						15.0
					],
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Bars",
							"parameter_shortname": "Bars",
							"parameter_type": 1,
							"parameter_mmin": 1.0,
							"parameter_mmax": 16.0,
							"parameter_initial": [
								4
							],
							"parameter_initial_enable": 1
						}
					},
					"parameter_enable": 1,
					"varname": "Bars",
					"presentation": 1,
					"presentation_rect": [
						444.0,
						24.0,
						30.0,
						15.0
					]
				}
			},
			{
				"box": {
					"id": "obj-prepend-setbars-bars",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1700.0,
						440.0,
						119.0,
						22.0
					],
					"text": "prepend setbars"
				}
			},
			{
				"box": {
					"id": "obj-clip-rec",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						1860.0,
						400.0,
						44.0,
						18.0
					],
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Rec",
							"parameter_shortname": "Rec",
							"parameter_type": 2,
							"parameter_invisible": 2,
							"parameter_mmin": 0.0,
							"parameter_mmax": 1.0,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_initial_enable": 0
						}
					},
					"parameter_enable": 1,
					"varname": "Rec",
					"mode": 0,
					"text": "Rec",
					"presentation": 1,
					"presentation_rect": [
						514.0,
						22.0,
						44.0,
						18.0
					]
				}
			},
			{
				"box": {
					"id": "obj-prepend-cliprec-clip-rec",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1860.0,
						440.0,
						119.0,
						22.0
					],
					"text": "prepend cliprec"
				}
			},
			{
				"box": {
					"id": "obj-rec-t",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"int",
						"bang"
					],
					"patching_rect": [
						1860.0,
						420.0,
						49.0,
						22.0
					],
					"text": "t i b"
				}
			},
			{
				"box": {
					"id": "obj-clip-play",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						2020.0,
						400.0,
						46.0,
						18.0
					],
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Clip play",
							"parameter_shortname": "Play",
							"parameter_type": 2,
							"parameter_mmin": 0.0,
							"parameter_mmax": 1.0,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_initial": [
								1
							],
							"parameter_initial_enable": 1
						}
					},
					"parameter_enable": 1,
					"varname": "Clip play",
					"mode": 1,
					"text": "Play",
					"texton": "Play",
					"presentation": 1,
					"presentation_rect": [
						560.0,
						22.0,
						46.0,
						18.0
					]
				}
			},
			{
				"box": {
					"id": "obj-prepend-clipplay-clip-play",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						2020.0,
						440.0,
						126.0,
						22.0
					],
					"text": "prepend clipplay"
				}
			},
			{
				"box": {
					"id": "obj-generate",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						2180.0,
						400.0,
						60.0,
						18.0
					],
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Generate",
							"parameter_shortname": "Generate",
							"parameter_type": 2,
							"parameter_invisible": 2,
							"parameter_mmin": 0.0,
							"parameter_mmax": 1.0,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_initial_enable": 0
						}
					},
					"parameter_enable": 1,
					"varname": "Generate",
					"mode": 0,
					"text": "Generate",
					"presentation": 1,
					"presentation_rect": [
						546.0,
						46.0,
						60.0,
						18.0
					]
				}
			},
			{
				"box": {
					"id": "obj-prepend-generate-generate",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						2180.0,
						440.0,
						126.0,
						22.0
					],
					"text": "prepend generate"
				}
			},
			{
				"box": {
					"id": "obj-hit",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						1700.0,
						490.0,
						40.0,
						18.0
					],
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Hit",
							"parameter_shortname": "Hit",
							"parameter_type": 2,
							"parameter_invisible": 2,
							"parameter_mmin": 0.0,
							"parameter_mmax": 1.0,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_initial_enable": 0
						}
					},
					"parameter_enable": 1,
					"varname": "Hit",
					"mode": 0,
					"text": "Hit",
					"presentation": 1,
					"presentation_rect": [
						444.0,
						68.0,
						40.0,
						18.0
					]
				}
			},
			{
				"box": {
					"id": "obj-prepend-shotplay-hit",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1700.0,
						530.0,
						126.0,
						22.0
					],
					"text": "prepend shotplay"
				}
			},
			{
				"box": {
					"id": "obj-label-margin-ms",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						1500.0,
						424.0,
						62.0,
						20.0
					],
					"text": "margin ms",
					"presentation": 1,
					"presentation_rect": [
						44.0,
						44.0,
						62.0,
						16.0
					]
				}
			},
			{
				"box": {
					"id": "obj-label-reply-port-(0-auto)",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						1500.0,
						448.0,
						62.0,
						20.0
					],
					"text": "reply port (0 auto)",
					"presentation": 1,
					"presentation_rect": [
						44.0,
						62.0,
						62.0,
						16.0
					]
				}
			},
			{
				"box": {
					"id": "obj-label-daemon-port",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						1500.0,
						472.0,
						62.0,
						20.0
					],
					"text": "daemon port",
					"presentation": 1,
					"presentation_rect": [
						44.0,
						79.0,
						62.0,
						16.0
					]
				}
			},
			{
				"box": {
					"id": "obj-bars-label",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						1500.0,
						496.0,
						36.0,
						20.0
					],
					"text": "bars",
					"presentation": 1,
					"presentation_rect": [
						476.0,
						24.0,
						36.0,
						16.0
					]
				}
			},
			{
				"box": {
					"id": "obj-connect",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						1700.0,
						580.0,
						60.0,
						18.0
					],
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Connect",
							"parameter_shortname": "Connect",
							"parameter_type": 2,
							"parameter_invisible": 2,
							"parameter_mmin": 0.0,
							"parameter_mmax": 1.0,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_initial_enable": 0
						}
					},
					"parameter_enable": 1,
					"varname": "Connect",
					"mode": 0,
					"text": "Connect",
					"presentation": 1,
					"presentation_rect": [
						2.0,
						97.0,
						60.0,
						14.0
					]
				}
			},
			{
				"box": {
					"id": "obj-connect-msg",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1700.0,
						620.0,
						63.0,
						22.0
					],
					"text": "connect"
				}
			},
			{
				"box": {
					"id": "obj-menu-gen",
					"maxclass": "umenu",
					"numinlets": 1,
					"numoutlets": 3,
					"outlettype": [
						"int",
						"",
						""
					],
					"patching_rect": [
						1860.0,
						580.0,
						96.0,
						22.0
					],
					"items": [],
					"parameter_enable": 0,
					"presentation": 1,
					"presentation_rect": [
						444.0,
						46.0,
						100.0,
						20.0
					]
				}
			},
			{
				"box": {
					"id": "obj-prepend-genmodel",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1860.0,
						610.0,
						126.0,
						22.0
					],
					"text": "prepend genmodel"
				}
			},
			{
				"box": {
					"id": "obj-folder",
					"maxclass": "textedit",
					"numinlets": 1,
					"numoutlets": 4,
					"outlettype": [
						"",
						"int",
						"",
						""
					],
					"patching_rect": [
						2020.0,
						580.0,
						160.0,
						20.0
					],
					"text": "~/Music/bridge",
					"parameter_enable": 0,
					"presentation": 1,
					"presentation_rect": [
						486.0,
						68.0,
						120.0,
						18.0
					]
				}
			},
			{
				"box": {
					"id": "obj-prepend-workfolder",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						2020.0,
						610.0,
						140.0,
						22.0
					],
					"text": "prepend workfolder"
				}
			},
			{
				"box": {
					"id": "obj-route-stream-ui",
					"maxclass": "newobj",
					"numinlets": 6,
					"numoutlets": 6,
					"outlettype": [
						"",
						"",
						"",
						"",
						"",
						""
					],
					"patching_rect": [
						40.0,
						590.0,
						300.0,
						22.0
					],
					"text": "route latency counts daemon state daemonerror"
				}
			},
			{
				"box": {
					"id": "obj-set-state",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1450.0,
						700.0,
						91.0,
						22.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-state",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1450.0,
						750.0,
						84.0,
						22.0
					],
					"text": "",
					"ignoreclick": 1,
					"presentation": 1,
					"presentation_rect": [
						2.0,
						112.0,
						84.0,
						18.0
					]
				}
			},
			{
				"box": {
					"id": "obj-set-daemon-error",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1450.0,
						760.0,
						91.0,
						22.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-daemon-error",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1450.0,
						810.0,
						70.0,
						22.0
					],
					"text": "",
					"ignoreclick": 1,
					"presentation": 1,
					"presentation_rect": [
						232.0,
						150.0,
						70.0,
						18.0
					]
				}
			},
			{
				"box": {
					"id": "obj-unpack-latency",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 3,
					"outlettype": [
						"",
						"",
						""
					],
					"patching_rect": [
						40.0,
						630.0,
						98.0,
						22.0
					],
					"text": "unpack f i f"
				}
			},
			{
				"box": {
					"id": "obj-latency-ms",
					"maxclass": "flonum",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"bang"
					],
					"patching_rect": [
						40.0,
						660.0,
						44.0,
						22.0
					],
					"ignoreclick": 1,
					"parameter_enable": 0,
					"format": 6,
					"numdecimalplaces": 1,
					"presentation": 1,
					"presentation_rect": [
						88.0,
						112.0,
						44.0,
						17.0
					]
				}
			},
			{
				"box": {
					"id": "obj-label-latency-ms",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						1500.0,
						232.0,
						18.0,
						20.0
					],
					"text": "ms",
					"presentation": 1,
					"presentation_rect": [
						133.0,
						113.0,
						18.0,
						16.0
					]
				}
			},
			{
				"box": {
					"id": "obj-latency-smp",
					"maxclass": "number",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"bang"
					],
					"patching_rect": [
						40.0,
						690.0,
						50.0,
						22.0
					],
					"ignoreclick": 1,
					"parameter_enable": 0,
					"presentation": 1,
					"presentation_rect": [
						152.0,
						112.0,
						50.0,
						17.0
					]
				}
			},
			{
				"box": {
					"id": "obj-label-latency-smp",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						1500.0,
						280.0,
						24.0,
						20.0
					],
					"text": "smp",
					"presentation": 1,
					"presentation_rect": [
						203.0,
						113.0,
						24.0,
						16.0
					]
				}
			},
			{
				"box": {
					"id": "obj-latency-daemon",
					"maxclass": "flonum",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"bang"
					],
					"patching_rect": [
						40.0,
						720.0,
						40.0,
						22.0
					],
					"ignoreclick": 1,
					"parameter_enable": 0,
					"format": 6,
					"numdecimalplaces": 1,
					"presentation": 1,
					"presentation_rect": [
						228.0,
						112.0,
						40.0,
						17.0
					]
				}
			},
			{
				"box": {
					"id": "obj-label-latency-daemon",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						1500.0,
						328.0,
						30.0,
						20.0
					],
					"text": "dmn",
					"presentation": 1,
					"presentation_rect": [
						269.0,
						113.0,
						30.0,
						16.0
					]
				}
			},
			{
				"box": {
					"id": "obj-unpack-counts",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 3,
					"outlettype": [
						"",
						"",
						""
					],
					"patching_rect": [
						160.0,
						630.0,
						98.0,
						22.0
					],
					"text": "unpack i i i"
				}
			},
			{
				"box": {
					"id": "obj-late",
					"maxclass": "number",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"bang"
					],
					"patching_rect": [
						160.0,
						660.0,
						40.0,
						22.0
					],
					"ignoreclick": 1,
					"parameter_enable": 0,
					"presentation": 1,
					"presentation_rect": [
						28.0,
						131.0,
						40.0,
						17.0
					]
				}
			},
			{
				"box": {
					"id": "obj-label-late",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						1500.0,
						400.0,
						26.0,
						20.0
					],
					"text": "late",
					"presentation": 1,
					"presentation_rect": [
						2.0,
						132.0,
						26.0,
						16.0
					]
				}
			},
			{
				"box": {
					"id": "obj-lost",
					"maxclass": "number",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"bang"
					],
					"patching_rect": [
						160.0,
						690.0,
						40.0,
						22.0
					],
					"ignoreclick": 1,
					"parameter_enable": 0,
					"presentation": 1,
					"presentation_rect": [
						96.0,
						131.0,
						40.0,
						17.0
					]
				}
			},
			{
				"box": {
					"id": "obj-label-lost",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						1500.0,
						448.0,
						26.0,
						20.0
					],
					"text": "lost",
					"presentation": 1,
					"presentation_rect": [
						70.0,
						132.0,
						26.0,
						16.0
					]
				}
			},
			{
				"box": {
					"id": "obj-reopens",
					"maxclass": "number",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"bang"
					],
					"patching_rect": [
						160.0,
						720.0,
						40.0,
						22.0
					],
					"ignoreclick": 1,
					"parameter_enable": 0,
					"presentation": 1,
					"presentation_rect": [
						184.0,
						131.0,
						40.0,
						17.0
					]
				}
			},
			{
				"box": {
					"id": "obj-label-reopens",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						1500.0,
						496.0,
						46.0,
						20.0
					],
					"text": "reopens",
					"presentation": 1,
					"presentation_rect": [
						138.0,
						132.0,
						46.0,
						16.0
					]
				}
			},
			{
				"box": {
					"id": "obj-unpack-daemon",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 3,
					"outlettype": [
						"",
						"",
						""
					],
					"patching_rect": [
						280.0,
						630.0,
						98.0,
						22.0
					],
					"text": "unpack i f f"
				}
			},
			{
				"box": {
					"id": "obj-steps",
					"maxclass": "number",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"bang"
					],
					"patching_rect": [
						280.0,
						660.0,
						30.0,
						22.0
					],
					"ignoreclick": 1,
					"parameter_enable": 0,
					"presentation": 1,
					"presentation_rect": [
						34.0,
						150.0,
						30.0,
						17.0
					]
				}
			},
			{
				"box": {
					"id": "obj-label-steps",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						1500.0,
						568.0,
						32.0,
						20.0
					],
					"text": "steps",
					"presentation": 1,
					"presentation_rect": [
						2.0,
						151.0,
						32.0,
						16.0
					]
				}
			},
			{
				"box": {
					"id": "obj-p50",
					"maxclass": "flonum",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"bang"
					],
					"patching_rect": [
						280.0,
						690.0,
						40.0,
						22.0
					],
					"ignoreclick": 1,
					"parameter_enable": 0,
					"format": 6,
					"numdecimalplaces": 1,
					"presentation": 1,
					"presentation_rect": [
						104.0,
						150.0,
						40.0,
						17.0
					]
				}
			},
			{
				"box": {
					"id": "obj-label-p50",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						1500.0,
						616.0,
						38.0,
						20.0
					],
					"text": "p50 ms",
					"presentation": 1,
					"presentation_rect": [
						66.0,
						151.0,
						38.0,
						16.0
					]
				}
			},
			{
				"box": {
					"id": "obj-p99",
					"maxclass": "flonum",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"bang"
					],
					"patching_rect": [
						280.0,
						720.0,
						40.0,
						22.0
					],
					"ignoreclick": 1,
					"parameter_enable": 0,
					"format": 6,
					"numdecimalplaces": 1,
					"presentation": 1,
					"presentation_rect": [
						186.0,
						150.0,
						40.0,
						17.0
					]
				}
			},
			{
				"box": {
					"id": "obj-label-p99",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						1500.0,
						64.0,
						40.0,
						20.0
					],
					"text": "p99 ms",
					"presentation": 1,
					"presentation_rect": [
						146.0,
						151.0,
						40.0,
						16.0
					]
				}
			},
			{
				"box": {
					"id": "obj-print-stream-ui",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						250.0,
						620.0,
						147.0,
						22.0
					],
					"text": "print bridge-stream"
				}
			},
			{
				"box": {
					"id": "obj-route-clip-ui",
					"maxclass": "newobj",
					"numinlets": 4,
					"numoutlets": 4,
					"outlettype": [
						"",
						"",
						"",
						""
					],
					"patching_rect": [
						900.0,
						590.0,
						240.0,
						22.0
					],
					"text": "route clipstatus shotstatus folder"
				}
			},
			{
				"box": {
					"id": "obj-set-clipstatus",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1450.0,
						610.0,
						91.0,
						22.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-clipstatus",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1450.0,
						660.0,
						300.0,
						22.0
					],
					"text": "",
					"ignoreclick": 1,
					"presentation": 1,
					"presentation_rect": [
						306.0,
						112.0,
						300.0,
						18.0
					]
				}
			},
			{
				"box": {
					"id": "obj-set-shotstatus",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1450.0,
						670.0,
						91.0,
						22.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-shotstatus",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1450.0,
						720.0,
						300.0,
						22.0
					],
					"text": "",
					"ignoreclick": 1,
					"presentation": 1,
					"presentation_rect": [
						306.0,
						131.0,
						300.0,
						18.0
					]
				}
			},
			{
				"box": {
					"id": "obj-print-clip-ui",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						1150.0,
						620.0,
						133.0,
						22.0
					],
					"text": "print bridge-clip"
				}
			}
		],
		"lines": [
			{
				"patchline": {
					"source": [
						"obj-udpreceive",
						0
					],
					"destination": [
						"obj-route-replies",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-replies",
						35
					],
					"destination": [
						"obj-unrouted",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-replies",
						0
					],
					"destination": [
						"obj-pre-on-audio",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-on-audio",
						0
					],
					"destination": [
						"obj-js-stream",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-replies",
						1
					],
					"destination": [
						"obj-pre-on-opened",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-on-opened",
						0
					],
					"destination": [
						"obj-js-stream",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-replies",
						2
					],
					"destination": [
						"obj-pre-on-closed",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-on-closed",
						0
					],
					"destination": [
						"obj-js-stream",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-replies",
						3
					],
					"destination": [
						"obj-pre-on-gap",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-on-gap",
						0
					],
					"destination": [
						"obj-js-stream",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-replies",
						4
					],
					"destination": [
						"obj-pre-on-late",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-on-late",
						0
					],
					"destination": [
						"obj-js-stream",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-replies",
						5
					],
					"destination": [
						"obj-pre-on-streamstatus",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-on-streamstatus",
						0
					],
					"destination": [
						"obj-js-stream",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-replies",
						6
					],
					"destination": [
						"obj-pre-on-latency",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-on-latency",
						0
					],
					"destination": [
						"obj-js-stream",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-replies",
						7
					],
					"destination": [
						"obj-pre-on-progress",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-on-progress",
						0
					],
					"destination": [
						"obj-js-clip",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-replies",
						8
					],
					"destination": [
						"obj-pre-on-filedone",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-on-filedone",
						0
					],
					"destination": [
						"obj-js-clip",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-replies",
						9
					],
					"destination": [
						"obj-pre-on-gendone",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-on-gendone",
						0
					],
					"destination": [
						"obj-js-clip",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-replies",
						10
					],
					"destination": [
						"obj-pre-on-pairdone",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-on-pairdone",
						0
					],
					"destination": [
						"obj-js-clip",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-replies",
						11
					],
					"destination": [
						"obj-pre-on-welcome",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-on-welcome",
						0
					],
					"destination": [
						"obj-js-control",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-replies",
						12
					],
					"destination": [
						"obj-pre-on-pong",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-on-pong",
						0
					],
					"destination": [
						"obj-js-control",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-replies",
						13
					],
					"destination": [
						"obj-pre-on-infoversion",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-on-infoversion",
						0
					],
					"destination": [
						"obj-js-control",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-replies",
						14
					],
					"destination": [
						"obj-pre-on-infoprovider",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-on-infoprovider",
						0
					],
					"destination": [
						"obj-js-control",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-replies",
						15
					],
					"destination": [
						"obj-pre-on-infomodel",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-on-infomodel",
						0
					],
					"destination": [
						"obj-js-control",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-replies",
						16
					],
					"destination": [
						"obj-pre-on-infopreset",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-on-infopreset",
						0
					],
					"destination": [
						"obj-js-control",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-replies",
						17
					],
					"destination": [
						"obj-pre-on-infopresetcurrent",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-on-infopresetcurrent",
						0
					],
					"destination": [
						"obj-js-control",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-replies",
						18
					],
					"destination": [
						"obj-pre-on-infoparam",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-on-infoparam",
						0
					],
					"destination": [
						"obj-js-control",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-replies",
						19
					],
					"destination": [
						"obj-pre-on-infofiles",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-on-infofiles",
						0
					],
					"destination": [
						"obj-js-clip",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-replies",
						20
					],
					"destination": [
						"obj-pre-on-infolatency",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-on-infolatency",
						0
					],
					"destination": [
						"obj-js-control",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-replies",
						21
					],
					"destination": [
						"obj-pre-on-infoend",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-on-infoend",
						0
					],
					"destination": [
						"obj-js-control",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-replies",
						22
					],
					"destination": [
						"obj-pre-on-status",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-on-status",
						0
					],
					"destination": [
						"obj-js-control",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-replies",
						23
					],
					"destination": [
						"obj-pre-on-param",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-on-param",
						0
					],
					"destination": [
						"obj-js-control",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-replies",
						24
					],
					"destination": [
						"obj-pre-on-presetloaded",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-on-presetloaded",
						0
					],
					"destination": [
						"obj-js-control",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-replies",
						25
					],
					"destination": [
						"obj-pre-on-presetchanged",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-on-presetchanged",
						0
					],
					"destination": [
						"obj-js-control",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-replies",
						26
					],
					"destination": [
						"obj-pre-on-listening",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-on-listening",
						0
					],
					"destination": [
						"obj-js-control",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-replies",
						27
					],
					"destination": [
						"obj-pre-on-unlistened",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-on-unlistened",
						0
					],
					"destination": [
						"obj-js-control",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-replies",
						28
					],
					"destination": [
						"obj-pre-on-modelloaded",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-on-modelloaded",
						0
					],
					"destination": [
						"obj-js-control",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-replies",
						29
					],
					"destination": [
						"obj-pre-on-synced",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-on-synced",
						0
					],
					"destination": [
						"obj-js-control",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-replies",
						30
					],
					"destination": [
						"obj-pre-on-midilearning",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-on-midilearning",
						0
					],
					"destination": [
						"obj-js-control",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-replies",
						31
					],
					"destination": [
						"obj-pre-on-midilearned",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-on-midilearned",
						0
					],
					"destination": [
						"obj-js-control",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-replies",
						32
					],
					"destination": [
						"obj-pre-on-midimapped",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-on-midimapped",
						0
					],
					"destination": [
						"obj-js-control",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-replies",
						33
					],
					"destination": [
						"obj-pre-on-midiunmapped",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-on-midiunmapped",
						0
					],
					"destination": [
						"obj-js-control",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-replies",
						34
					],
					"destination": [
						"obj-pre-on-error",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-on-error",
						0
					],
					"destination": [
						"obj-js-stream",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-on-error",
						0
					],
					"destination": [
						"obj-js-control",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-on-error",
						0
					],
					"destination": [
						"obj-js-clip",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-js-stream",
						0
					],
					"destination": [
						"obj-udpsend",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-js-control",
						0
					],
					"destination": [
						"obj-udpsend",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-js-clip",
						0
					],
					"destination": [
						"obj-udpsend",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-js-control",
						2
					],
					"destination": [
						"obj-udpreceive",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-thisdevice",
						0
					],
					"destination": [
						"obj-init",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-init",
						3
					],
					"destination": [
						"obj-ready-control",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-init",
						2
					],
					"destination": [
						"obj-ready-stream",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-init",
						1
					],
					"destination": [
						"obj-ready-clip",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-ready-control",
						0
					],
					"destination": [
						"obj-js-control",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-ready-stream",
						0
					],
					"destination": [
						"obj-js-stream",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-ready-clip",
						0
					],
					"destination": [
						"obj-js-clip",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-init",
						0
					],
					"destination": [
						"obj-dspstate",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-dspstate",
						0
					],
					"destination": [
						"obj-pre-dsp",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-dspstate",
						1
					],
					"destination": [
						"obj-pre-samplerate",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-dsp",
						0
					],
					"destination": [
						"obj-js-stream",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-samplerate",
						0
					],
					"destination": [
						"obj-js-stream",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-samplerate",
						0
					],
					"destination": [
						"obj-js-clip",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-jit-metro",
						0
					],
					"destination": [
						"obj-jit-tick",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-in",
						0
					],
					"destination": [
						"obj-catch",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-in",
						1
					],
					"destination": [
						"obj-catch",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-jit-tick",
						1
					],
					"destination": [
						"obj-catch",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-catch",
						0
					],
					"destination": [
						"obj-jit-gate",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-jit-gate",
						0
					],
					"destination": [
						"obj-netsend",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-jit-tick",
						0
					],
					"destination": [
						"obj-start",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-start",
						0
					],
					"destination": [
						"obj-start-t",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-start-t",
						2
					],
					"destination": [
						"obj-jit-gate",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-start-t",
						1
					],
					"destination": [
						"obj-prime",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-start-t",
						0
					],
					"destination": [
						"obj-started",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-started",
						0
					],
					"destination": [
						"obj-js-stream",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-netrecv",
						0
					],
					"destination": [
						"obj-release",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-prime",
						0
					],
					"destination": [
						"obj-release",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-netrecv",
						1
					],
					"destination": [
						"obj-pre-jit",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-jit",
						0
					],
					"destination": [
						"obj-js-stream",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-netrecv",
						2
					],
					"destination": [
						"obj-pre-recv",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-recv",
						0
					],
					"destination": [
						"obj-js-stream",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-netsend",
						0
					],
					"destination": [
						"obj-pre-send",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-send",
						0
					],
					"destination": [
						"obj-js-stream",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-js-stream",
						3
					],
					"destination": [
						"obj-route-jit",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-jit",
						0
					],
					"destination": [
						"obj-netsend",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-jit",
						1
					],
					"destination": [
						"obj-netsend",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-jit",
						2
					],
					"destination": [
						"obj-netrecv",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-jit",
						3
					],
					"destination": [
						"obj-start",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-jit",
						4
					],
					"destination": [
						"obj-pre-dim",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-dim",
						0
					],
					"destination": [
						"obj-prime",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-jit",
						5
					],
					"destination": [
						"obj-release",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-jit",
						6
					],
					"destination": [
						"obj-jit-gate",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-jit",
						7
					],
					"destination": [
						"obj-gain",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-jit",
						9
					],
					"destination": [
						"obj-print-jit",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-gain",
						0
					],
					"destination": [
						"obj-dry-g",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-in",
						0
					],
					"destination": [
						"obj-dry-delay-1",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-jit",
						8
					],
					"destination": [
						"obj-dry-delay-1",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-release",
						0
					],
					"destination": [
						"obj-wet-1",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-gain",
						0
					],
					"destination": [
						"obj-wet-1",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-dry-delay-1",
						0
					],
					"destination": [
						"obj-dry-1",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-dry-g",
						0
					],
					"destination": [
						"obj-dry-1",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-wet-1",
						0
					],
					"destination": [
						"obj-mix-1",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-dry-1",
						0
					],
					"destination": [
						"obj-mix-1",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-in",
						1
					],
					"destination": [
						"obj-dry-delay-2",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-jit",
						8
					],
					"destination": [
						"obj-dry-delay-2",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-release",
						1
					],
					"destination": [
						"obj-wet-2",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-gain",
						0
					],
					"destination": [
						"obj-wet-2",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-dry-delay-2",
						0
					],
					"destination": [
						"obj-dry-2",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-dry-g",
						0
					],
					"destination": [
						"obj-dry-2",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-wet-2",
						0
					],
					"destination": [
						"obj-mix-2",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-dry-2",
						0
					],
					"destination": [
						"obj-mix-2",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-freq",
						0
					],
					"destination": [
						"obj-clip-phasor",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-phasor",
						0
					],
					"destination": [
						"obj-clip-nbars",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-nbars",
						0
					],
					"destination": [
						"obj-clip-bareps",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-bareps",
						0
					],
					"destination": [
						"obj-clip-barfrac",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-barfrac",
						0
					],
					"destination": [
						"obj-clip-bardelta",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-bardelta",
						0
					],
					"destination": [
						"obj-clip-barwrap",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-phasor",
						0
					],
					"destination": [
						"obj-clip-pdelta",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-pdelta",
						0
					],
					"destination": [
						"obj-clip-moving",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-moving",
						0
					],
					"destination": [
						"obj-clip-movedelta",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-movedelta",
						0
					],
					"destination": [
						"obj-clip-started",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-barwrap",
						0
					],
					"destination": [
						"obj-clip-barline",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-started",
						0
					],
					"destination": [
						"obj-clip-barline",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-barline",
						0
					],
					"destination": [
						"obj-clip-start",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-arm",
						0
					],
					"destination": [
						"obj-clip-start",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-phasor",
						0
					],
					"destination": [
						"obj-clip-anchor",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-start",
						0
					],
					"destination": [
						"obj-clip-anchor",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-phasor",
						0
					],
					"destination": [
						"obj-clip-rel",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-anchor",
						0
					],
					"destination": [
						"obj-clip-rel",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-rel",
						0
					],
					"destination": [
						"obj-clip-rel1",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-rel1",
						0
					],
					"destination": [
						"obj-clip-r",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-r",
						0
					],
					"destination": [
						"obj-clip-rdelta",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-rdelta",
						0
					],
					"destination": [
						"obj-clip-rwrap",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-start",
						0
					],
					"destination": [
						"obj-clip-trig",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-rwrap",
						0
					],
					"destination": [
						"obj-clip-trig",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-arm",
						0
					],
					"destination": [
						"obj-clip-gate",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-trig",
						0
					],
					"destination": [
						"obj-clip-gate",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-r",
						0
					],
					"destination": [
						"obj-clip-recidx",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-recidx",
						0
					],
					"destination": [
						"obj-clip-recgated",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-gate",
						0
					],
					"destination": [
						"obj-clip-recgated",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-gate",
						0
					],
					"destination": [
						"obj-clip-gate1",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-recgated",
						0
					],
					"destination": [
						"obj-clip-recindex",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-gate1",
						0
					],
					"destination": [
						"obj-clip-recindex",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-in",
						0
					],
					"destination": [
						"obj-clip-poke-1",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-recindex",
						0
					],
					"destination": [
						"obj-clip-poke-1",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-in",
						1
					],
					"destination": [
						"obj-clip-poke-2",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-recindex",
						0
					],
					"destination": [
						"obj-clip-poke-2",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-gate",
						0
					],
					"destination": [
						"obj-clip-recedge",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-playsig",
						0
					],
					"destination": [
						"obj-clip-playgate",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-trig",
						0
					],
					"destination": [
						"obj-clip-playgate",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-r",
						0
					],
					"destination": [
						"obj-clip-playidx",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-playidx",
						0
					],
					"destination": [
						"obj-clip-index-1",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-index-1",
						0
					],
					"destination": [
						"obj-clip-out-1",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-playgate",
						0
					],
					"destination": [
						"obj-clip-out-1",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-playidx",
						0
					],
					"destination": [
						"obj-clip-index-2",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-index-2",
						0
					],
					"destination": [
						"obj-clip-out-2",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-playgate",
						0
					],
					"destination": [
						"obj-clip-out-2",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-playgate",
						0
					],
					"destination": [
						"obj-clip-playedge",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-recedge",
						0
					],
					"destination": [
						"obj-msg-recstarted",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-msg-recstarted",
						0
					],
					"destination": [
						"obj-js-clip",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-recedge",
						1
					],
					"destination": [
						"obj-msg-recended",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-msg-recended",
						0
					],
					"destination": [
						"obj-js-clip",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-playedge",
						0
					],
					"destination": [
						"obj-msg-playstarted",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-msg-playstarted",
						0
					],
					"destination": [
						"obj-js-clip",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-playedge",
						1
					],
					"destination": [
						"obj-msg-playstopped",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-msg-playstopped",
						0
					],
					"destination": [
						"obj-js-clip",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-shot-speed",
						0
					],
					"destination": [
						"obj-groove-shot",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-js-clip",
						2
					],
					"destination": [
						"obj-route-audio",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-audio",
						0
					],
					"destination": [
						"obj-buf-rec",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-audio",
						1
					],
					"destination": [
						"obj-buf-clip",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-audio",
						2
					],
					"destination": [
						"obj-buf-shot",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-audio",
						3
					],
					"destination": [
						"obj-groove-shot",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-audio",
						4
					],
					"destination": [
						"obj-shot-speed",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-audio",
						5
					],
					"destination": [
						"obj-clip-arm",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-audio",
						6
					],
					"destination": [
						"obj-clip-playsig",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-audio",
						7
					],
					"destination": [
						"obj-clip-freq",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-audio",
						8
					],
					"destination": [
						"obj-clip-nbars",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-audio",
						9
					],
					"destination": [
						"obj-clip-recidx",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-audio",
						10
					],
					"destination": [
						"obj-clip-playidx",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-audio",
						11
					],
					"destination": [
						"obj-print-audio",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-buf-clip",
						1
					],
					"destination": [
						"obj-loaded-clip",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-buf-shot",
						1
					],
					"destination": [
						"obj-loaded-shot",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-loaded-clip",
						0
					],
					"destination": [
						"obj-js-clip",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-loaded-shot",
						0
					],
					"destination": [
						"obj-js-clip",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-mix-1",
						0
					],
					"destination": [
						"obj-sum-1a",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-out-1",
						0
					],
					"destination": [
						"obj-sum-1a",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-sum-1a",
						0
					],
					"destination": [
						"obj-sum-1b",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-groove-shot",
						0
					],
					"destination": [
						"obj-sum-1b",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-mix-2",
						0
					],
					"destination": [
						"obj-sum-2a",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-out-2",
						0
					],
					"destination": [
						"obj-sum-2a",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-sum-2a",
						0
					],
					"destination": [
						"obj-sum-2b",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-groove-shot",
						0
					],
					"destination": [
						"obj-sum-2b",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-sum-1b",
						0
					],
					"destination": [
						"obj-out",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-sum-2b",
						0
					],
					"destination": [
						"obj-out",
						1
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-transport",
						4
					],
					"destination": [
						"obj-pre-bpm",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-transport",
						5
					],
					"destination": [
						"obj-pre-timesig",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-bpm",
						0
					],
					"destination": [
						"obj-js-clip",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-pre-timesig",
						0
					],
					"destination": [
						"obj-js-clip",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-js-stream",
						2
					],
					"destination": [
						"obj-latency-defer",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-latency-defer",
						0
					],
					"destination": [
						"obj-thispatcher",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-js-control",
						1
					],
					"destination": [
						"obj-route-ui",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-ui",
						7
					],
					"destination": [
						"obj-print-ui",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-ui",
						0
					],
					"destination": [
						"obj-set-status",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-set-status",
						0
					],
					"destination": [
						"obj-status",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-ui",
						6
					],
					"destination": [
						"obj-busy",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-ui",
						1
					],
					"destination": [
						"obj-menu-preset",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-menu-preset",
						1
					],
					"destination": [
						"obj-prepend-preset",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-prepend-preset",
						0
					],
					"destination": [
						"obj-js-control",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-ui",
						2
					],
					"destination": [
						"obj-menu-target",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-menu-target",
						1
					],
					"destination": [
						"obj-prepend-target",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-prepend-target",
						0
					],
					"destination": [
						"obj-js-control",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-ui",
						3
					],
					"destination": [
						"obj-menu-morph",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-menu-morph",
						1
					],
					"destination": [
						"obj-prepend-morphwith",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-prepend-morphwith",
						0
					],
					"destination": [
						"obj-js-control",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-prepend-preset",
						0
					],
					"destination": [
						"obj-js-clip",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-ui",
						5
					],
					"destination": [
						"obj-route-dials",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-dials",
						0
					],
					"destination": [
						"obj-set-dial-strength",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-set-dial-strength",
						0
					],
					"destination": [
						"obj-dial-strength",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-dial-strength",
						0
					],
					"destination": [
						"obj-param-strength",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-param-strength",
						0
					],
					"destination": [
						"obj-js-control",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-dials",
						1
					],
					"destination": [
						"obj-set-dial-steps",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-set-dial-steps",
						0
					],
					"destination": [
						"obj-dial-steps",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-dial-steps",
						0
					],
					"destination": [
						"obj-param-steps",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-param-steps",
						0
					],
					"destination": [
						"obj-js-control",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-dials",
						2
					],
					"destination": [
						"obj-set-dial-mix",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-set-dial-mix",
						0
					],
					"destination": [
						"obj-dial-mix",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-dial-mix",
						0
					],
					"destination": [
						"obj-param-mix",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-param-mix",
						0
					],
					"destination": [
						"obj-js-control",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-dials",
						3
					],
					"destination": [
						"obj-set-dial-morph",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-set-dial-morph",
						0
					],
					"destination": [
						"obj-dial-morph",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-dial-morph",
						0
					],
					"destination": [
						"obj-param-morph",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-param-morph",
						0
					],
					"destination": [
						"obj-js-control",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-dials",
						4
					],
					"destination": [
						"obj-set-dial-seed",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-set-dial-seed",
						0
					],
					"destination": [
						"obj-dial-seed",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-dial-seed",
						0
					],
					"destination": [
						"obj-param-seed",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-param-seed",
						0
					],
					"destination": [
						"obj-js-control",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-dial-seed",
						0
					],
					"destination": [
						"obj-setseed",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-setseed",
						0
					],
					"destination": [
						"obj-js-clip",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-dials",
						5
					],
					"destination": [
						"obj-print-dials",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-stream-on",
						0
					],
					"destination": [
						"obj-prepend-stream-stream-on",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-prepend-stream-stream-on",
						0
					],
					"destination": [
						"obj-js-stream",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-margin",
						0
					],
					"destination": [
						"obj-prepend-playdelay-margin",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-prepend-playdelay-margin",
						0
					],
					"destination": [
						"obj-js-stream",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-reply-port",
						0
					],
					"destination": [
						"obj-prepend-replyport-reply-port",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-prepend-replyport-reply-port",
						0
					],
					"destination": [
						"obj-js-control",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-daemon-port",
						0
					],
					"destination": [
						"obj-prepend-daemonport-daemon-port",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-prepend-daemonport-daemon-port",
						0
					],
					"destination": [
						"obj-js-control",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-prepend-daemonport-daemon-port",
						0
					],
					"destination": [
						"obj-js-stream",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-bars",
						0
					],
					"destination": [
						"obj-prepend-setbars-bars",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-prepend-setbars-bars",
						0
					],
					"destination": [
						"obj-js-clip",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-rec",
						0
					],
					"destination": [
						"obj-rec-t",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-rec-t",
						1
					],
					"destination": [
						"obj-transport",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-rec-t",
						0
					],
					"destination": [
						"obj-prepend-cliprec-clip-rec",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-prepend-cliprec-clip-rec",
						0
					],
					"destination": [
						"obj-js-clip",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-clip-play",
						0
					],
					"destination": [
						"obj-prepend-clipplay-clip-play",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-prepend-clipplay-clip-play",
						0
					],
					"destination": [
						"obj-js-clip",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-generate",
						0
					],
					"destination": [
						"obj-prepend-generate-generate",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-prepend-generate-generate",
						0
					],
					"destination": [
						"obj-js-clip",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-hit",
						0
					],
					"destination": [
						"obj-prepend-shotplay-hit",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-prepend-shotplay-hit",
						0
					],
					"destination": [
						"obj-js-clip",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-connect",
						0
					],
					"destination": [
						"obj-connect-msg",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-connect-msg",
						0
					],
					"destination": [
						"obj-js-control",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-ui",
						4
					],
					"destination": [
						"obj-menu-gen",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-menu-gen",
						1
					],
					"destination": [
						"obj-prepend-genmodel",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-prepend-genmodel",
						0
					],
					"destination": [
						"obj-js-clip",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-folder",
						0
					],
					"destination": [
						"obj-prepend-workfolder",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-prepend-workfolder",
						0
					],
					"destination": [
						"obj-js-clip",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-js-stream",
						1
					],
					"destination": [
						"obj-route-stream-ui",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-stream-ui",
						3
					],
					"destination": [
						"obj-set-state",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-set-state",
						0
					],
					"destination": [
						"obj-state",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-stream-ui",
						4
					],
					"destination": [
						"obj-set-daemon-error",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-set-daemon-error",
						0
					],
					"destination": [
						"obj-daemon-error",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-stream-ui",
						0
					],
					"destination": [
						"obj-unpack-latency",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-unpack-latency",
						0
					],
					"destination": [
						"obj-latency-ms",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-unpack-latency",
						1
					],
					"destination": [
						"obj-latency-smp",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-unpack-latency",
						2
					],
					"destination": [
						"obj-latency-daemon",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-stream-ui",
						1
					],
					"destination": [
						"obj-unpack-counts",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-unpack-counts",
						0
					],
					"destination": [
						"obj-late",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-unpack-counts",
						1
					],
					"destination": [
						"obj-lost",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-unpack-counts",
						2
					],
					"destination": [
						"obj-reopens",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-stream-ui",
						2
					],
					"destination": [
						"obj-unpack-daemon",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-unpack-daemon",
						0
					],
					"destination": [
						"obj-steps",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-unpack-daemon",
						1
					],
					"destination": [
						"obj-p50",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-unpack-daemon",
						2
					],
					"destination": [
						"obj-p99",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-stream-ui",
						5
					],
					"destination": [
						"obj-print-stream-ui",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-js-clip",
						1
					],
					"destination": [
						"obj-route-clip-ui",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-clip-ui",
						0
					],
					"destination": [
						"obj-set-clipstatus",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-set-clipstatus",
						0
					],
					"destination": [
						"obj-clipstatus",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-clip-ui",
						1
					],
					"destination": [
						"obj-set-shotstatus",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-set-shotstatus",
						0
					],
					"destination": [
						"obj-shotstatus",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-clip-ui",
						2
					],
					"destination": [
						"obj-folder",
						0
					]
				}
			},
			{
				"patchline": {
					"source": [
						"obj-route-clip-ui",
						3
					],
					"destination": [
						"obj-print-clip-ui",
						0
					]
				}
			}
		],
		"parameters": {
			"obj-dial-strength": [
				"Strength",
				"Strength",
				0
			],
			"obj-dial-steps": [
				"Steps",
				"Steps",
				0
			],
			"obj-dial-mix": [
				"Dry/Wet",
				"Dry/Wet",
				0
			],
			"obj-dial-morph": [
				"Morph",
				"Morph",
				0
			],
			"obj-dial-seed": [
				"Seed",
				"Seed",
				0
			],
			"obj-stream-on": [
				"Stream",
				"Stream",
				0
			],
			"obj-margin": [
				"Margin",
				"Margin",
				0
			],
			"obj-reply-port": [
				"Reply port",
				"Reply",
				0
			],
			"obj-daemon-port": [
				"Daemon port",
				"Daemon",
				0
			],
			"obj-bars": [
				"Bars",
				"Bars",
				0
			],
			"obj-clip-rec": [
				"Rec",
				"Rec",
				0
			],
			"obj-clip-play": [
				"Clip play",
				"Play",
				0
			],
			"obj-generate": [
				"Generate",
				"Generate",
				0
			],
			"obj-hit": [
				"Hit",
				"Hit",
				0
			],
			"obj-connect": [
				"Connect",
				"Connect",
				0
			],
			"parameterbanks": {
				"0": {
					"index": 0,
					"name": "",
					"parameters": [
						"-",
						"-",
						"-",
						"-",
						"-",
						"-",
						"-",
						"-"
					]
				}
			},
			"inherited_shortname": 1
		},
		"dependency_cache": [
			{
				"name": "bridge_clip.js",
				"bootpath": ".",
				"patcherrelativepath": ".",
				"type": "TEXT",
				"implicit": 1
			},
			{
				"name": "bridge_control.js",
				"bootpath": ".",
				"patcherrelativepath": ".",
				"type": "TEXT",
				"implicit": 1
			},
			{
				"name": "bridge_stream.js",
				"bootpath": ".",
				"patcherrelativepath": ".",
				"type": "TEXT",
				"implicit": 1
			}
		],
		"autosave": 0
	}
}
